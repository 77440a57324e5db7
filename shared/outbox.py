"""The transactional outbox: emails are recorded with the change and handed over after commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import JSON, Select, insert, literal
from sqlalchemy.orm import Session

from shared.database import transaction_list, utcnow
from shared.models import Event, Group, OutboxMessage, Registration
from shared.queue import DELIVER_OUTBOX_TASK, MAIL_QUEUE, send_tasks

_PENDING = "outbox_pending"
# Written as one INSERT, not through the unit of work: most requests that change anything
# queue an email, and nothing reads the row back as an object.
_INSERT = insert(OutboxMessage.__table__).returning(
    OutboxMessage.__table__.c.id, sort_by_parameter_order=True
)


@dataclass(frozen=True)
class Email:
    """An email to record in the outbox; the group and event default to the registration's."""

    kind: str
    registration: Registration | None = None
    group: Group | None = None
    event: Event | None = None
    payload: dict[str, Any] | None = None

    def row(self) -> dict[str, Any]:
        """The outbox row's values."""
        registration, group = self.registration, self.group
        if group is None and registration is not None:
            group_id, event_id = registration.group_id, registration.event_id
        else:
            group_id = group.id if group else None
            event_id = group.event_id if group else None
        if self.event is not None:
            event_id = self.event.id
        return {
            "kind": self.kind,
            "registration_id": registration.id if registration else None,
            "group_id": group_id,
            "event_id": event_id,
            "payload": self.payload or {},
        }


def queue_email(
    session: Session,
    kind: str,
    *,
    registration: Registration | None = None,
    group: Group | None = None,
    event: Event | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Record an email to send once the current transaction commits; return the row's id.

    The group and event default to the registration's.
    """
    [outbox_id] = queue_emails(session, [Email(kind, registration, group, event, payload)])
    return outbox_id


def queue_emails(session: Session, emails: list[Email]) -> list[int]:
    """Record emails to send once the current transaction commits, in one statement; return
    their rows' ids."""
    if not emails:
        return []
    session.flush()  # the rows the emails name exist, with their current group
    rows = [email.row() for email in emails]
    outbox_ids: list[int] = session.connection().execute(_INSERT, rows).scalars().all()
    transaction_list(session, _PENDING, committed=_publish_committed).extend(outbox_ids)
    return outbox_ids


def queue_selected(
    session: Session, kind: str, registrations: Select[Any], payload: dict[str, Any]
) -> list[int]:
    """Record one email of ``kind`` per registration ``registrations`` selects (its id,
    group id and event id), to send once the transaction commits, in one INSERT … SELECT:
    however many they are, none is loaded. Returns the rows' ids."""
    session.flush()
    rows = registrations.add_columns(
        literal(kind), literal(payload, JSON), literal(utcnow(), OutboxMessage.created_at.type)
    )
    columns = ["registration_id", "group_id", "event_id", "kind", "payload", "created_at"]
    statement = insert(OutboxMessage).from_select(columns, rows).returning(OutboxMessage.id)
    outbox_ids: list[int] = list(session.execute(statement).scalars())
    transaction_list(session, _PENDING, committed=_publish_committed).extend(outbox_ids)
    return outbox_ids


def publish(outbox_ids: list[int]) -> None:
    """Hand committed outbox rows to the worker; any that fail to enqueue wait for the sweep."""
    send_tasks([(DELIVER_OUTBOX_TASK, [outbox_ids], MAIL_QUEUE)])


def _publish_committed(outbox_ids: list[int]) -> None:
    if has_app_context():
        current_app.extensions.get("outbox_publisher", publish)(outbox_ids)
