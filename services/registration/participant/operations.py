"""The registration service's use cases: they flush; the app commits once per request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.lookups import WITH_GROUPS, find_group, get_event
from shared.domain import certificates
from shared.domain import registrations as rules
from shared.domain.confirmation import Receipt
from shared.i18n import current_language
from shared.models import (
    Certificate,
    EmailKind,
    Event,
    EventKind,
    Group,
    Registration,
)
from shared.outbox import queue_email


def list_events(
    session: Session, *, town: str | None = None, kind: EventKind | None = None
) -> list[Event]:
    """Events with their groups and dates, optionally only those in a town or of a kind."""
    query = select(Event).options(WITH_GROUPS).order_by(Event.id)
    if kind is not None:
        query = query.where(Event.kind == kind)
    if town is not None:
        query = query.where(Event.groups.any(Group.town_slug == town))
    return list(session.scalars(query))


def register_participant(
    session: Session, event_slug: str, data: dict[str, Any]
) -> Registration | Receipt:
    """Register from validated API or form data; a receipt where the event asks for
    confirmation by email (see ``shared.domain.confirmation``)."""
    group = find_group(session, event_slug, data["group"])
    participant = rules.Participant(
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=data["email"],
        role=data["role"],
        language=data.get("language") or current_language(),
        phone=data.get("phone"),
        organisation=data.get("organisation"),
    )
    return rules.register_or_acknowledge(
        session,
        group.event,
        group,
        participant,
        commit_all_dates=data["commit_all_dates"],
        date_id=data.get("date"),
    )


def cancel_by_token(session: Session, manage_token: str) -> Registration:
    """Cancel the registration the manage token opens (again is a no-op)."""
    registration = rules.registration_by_token(session, manage_token)
    rules.cancel(session, registration, by_participant=True)
    return registration


def send_manage_link(session: Session, event_slug: str, email: str) -> None:
    """Email the manage link of the address's active registration for the event, if any.

    The caller answers the same way either way, so nobody learns whether an address is
    registered.
    """
    event = get_event(session, event_slug)
    registration = rules.find_active_registration(session, event, email)
    if registration is not None:
        queue_email(session, EmailKind.MANAGE_LINK, registration=registration)


def certificate_by_token(session: Session, manage_token: str) -> Certificate:
    """The certificate of the registration this manage token opens, issued on first request
    once its training is completed."""
    return certificates.issue(session, rules.registration_by_token(session, manage_token))
