"""The registration service's use cases: they flush; the app commits once per request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload, undefer

from shared.domain import certificates
from shared.domain import registrations as rules
from shared.errors import NotFound
from shared.i18n import current_language
from shared.models import (
    Certificate,
    EmailKind,
    Event,
    EventKind,
    Group,
    Registration,
    SessionDate,
)
from shared.outbox import queue_email

# Events are listed with their groups' dates and availability, in three queries.
WITH_GROUPS = selectinload(Event.groups).options(
    selectinload(Group.dates), undefer(Group.confirmed_count), undefer(Group.waitlist_length)
)


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


def get_event(session: Session, slug: str) -> Event:
    """The event with this slug, or 404."""
    event = session.scalar(select(Event).where(Event.slug == slug).options(WITH_GROUPS))
    if event is None:
        raise NotFound()
    return event


def group_of(event: Event, slug: str) -> Group:
    """The loaded event's group with this slug, or 404 naming the field."""
    group = next((g for g in event.groups if g.slug == slug), None)
    if group is None:
        raise NotFound(errors={"group": [NotFound.default_message]})
    return group


# One statement, built once: this runs for every registration. It reads what registering
# and its answer use; any other column still loads if asked for.
GROUP_BY_SLUGS = (
    select(Group)
    .join(Group.event)
    .where(Event.slug == bindparam("event_slug"), Group.slug == bindparam("group_slug"))
    .options(
        contains_eager(Group.event).load_only(
            Event.slug,
            Event.attendance_rule,
            Event.registration_opens_at,
            Event.registration_closes_at,
        ),
        joinedload(Group.dates).load_only(
            SessionDate.group_id,
            SessionDate.starts_at,
            SessionDate.ends_at,
            SessionDate.recurrence_rule,
            SessionDate.cancelled_at,
        ),
    )
)


def find_group(session: Session, event_slug: str, group_slug: str) -> Group:
    """The event's group with this slug, with its event and dates; 404 for either unknown."""
    slugs = {"event_slug": event_slug, "group_slug": group_slug}
    group = session.scalars(GROUP_BY_SLUGS, slugs).unique().one_or_none()
    if group is None:
        if session.scalar(select(Event.id).where(Event.slug == event_slug)) is None:
            raise NotFound()
        raise NotFound(errors={"group": [NotFound.default_message]})
    return group


def register_participant(session: Session, event_slug: str, data: dict[str, Any]) -> Registration:
    """Register from validated API or form data."""
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
    return rules.register(
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
