"""The audit log: who did what, to which event, registration or account, and when. Every
organiser action and account change is written here, by this one function."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shared.models import AuditEntry, Event, Organiser, Registration


def record(
    session: Session,
    actor: Organiser | None,
    action: str,
    *,
    event: Event | None = None,
    registration: Registration | None = None,
    account: Organiser | None = None,
    **details: Any,
) -> AuditEntry:
    """Write who did what to which event, registration or account, and when."""
    if account is not None:
        details = {"account_id": account.id, "email": account.email, **details}
    entry = AuditEntry(
        organiser_id=actor.id if actor else None,
        action=action,
        event_id=event.id if event else None,
        registration_id=registration.id if registration else None,
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry
