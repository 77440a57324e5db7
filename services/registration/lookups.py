"""What every audience looks up by the address it was given: an event by its slug, a group
or a date of an event, a registration of an event; each unknown one is a 404, and so is a
draft event for the public (its organisers reach it through ``shared.access``)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload, undefer

from shared.domain.listing import public_clause
from shared.errors import NotFound
from shared.models import Event, Group, Registration, SessionDate

# Events are listed with their groups' dates and availability, in three queries.
WITH_GROUPS = selectinload(Event.groups).options(
    selectinload(Group.dates), undefer(Group.confirmed_count), undefer(Group.waitlist_length)
)


def get_event(session: Session, slug: str) -> Event:
    """The public event with this slug, or 404."""
    query = select(Event).where(Event.slug == slug, public_clause()).options(WITH_GROUPS)
    event = session.scalar(query)
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
    .where(
        Event.slug == bindparam("event_slug"),
        Group.slug == bindparam("group_slug"),
        public_clause(),
    )
    .options(
        contains_eager(Group.event).load_only(
            Event.slug,
            Event.attendance_rule,
            Event.registration_opens_at,
            Event.registration_closes_at,
            Event.confirmation_hours,
            # Whether the event asks questions, and which version of them.
            Event.asked_questions,
            Event.revision,
            Event.created_at,
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
    """The public event's group with this slug, with its event and dates; 404 for either
    unknown."""
    slugs = {"event_slug": event_slug, "group_slug": group_slug}
    group = session.scalars(GROUP_BY_SLUGS, slugs).unique().one_or_none()
    if group is None:
        public = select(Event.id).where(Event.slug == event_slug, public_clause())
        if session.scalar(public) is None:
            raise NotFound()
        raise NotFound(errors={"group": [NotFound.default_message]})
    return group


def find_date(event: Event, date_id: int) -> SessionDate:
    """A date of one of the event's groups, or 404."""
    for group in event.groups:
        for session_date in group.dates:
            if session_date.id == date_id:
                return session_date
    raise NotFound()


def find_registration(session: Session, event: Event, registration_id: int) -> Registration:
    """A registration of this event, or 404 (one of another event is not found)."""
    registration = session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound()
    return registration
