"""Changing what participants signed up for: a date's time, a group's venue, a cancelled
date or group. Every such change raises the calendar SEQUENCE of the dates it touches, marks
the group changed for cached feeds, and tells every active participant of the group."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import utcnow
from shared.domain.capacity import bump_revision
from shared.errors import InvalidRequest
from shared.models import EmailKind, Group, Registration, SessionDate
from shared.models.registrations import ACTIVE_STATUSES
from shared.outbox import queue_email

VENUE_FIELDS = ("venue_name", "street_address", "postcode", "town", "latitude", "longitude")


def active_registrations(session: Session, group: Group) -> list[Registration]:
    """Everyone who holds or awaits a place in the group."""
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.group_id == group.id, Registration.status.in_(ACTIVE_STATUSES))
            .order_by(Registration.id)
        )
    )


def notify_group(session: Session, group: Group, kind: EmailKind, payload: dict[str, Any]) -> int:
    """Queue one email of ``kind`` per active registration of the group; return how many."""
    registrations = active_registrations(session, group)
    for registration in registrations:
        queue_email(session, kind, registration=registration, payload=payload)
    return len(registrations)


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    """A session ends after it starts."""
    if ends_at <= starts_at:
        raise InvalidRequest(errors={"end": [_l("La fin doit suivre le début.")]})


def reschedule_date(
    session: Session, session_date: SessionDate, starts_at: datetime, ends_at: datetime
) -> bool:
    """Move a date to new times; participants are told. Returns whether anything changed."""
    check_times(starts_at, ends_at)
    if session_date.cancelled_at is not None:
        raise InvalidRequest(_l("Cette date a été annulée."))
    if (session_date.starts_at, session_date.ends_at) == (starts_at, ends_at):
        return False
    payload = {
        "date_id": session_date.id,
        "old_start": session_date.starts_at.isoformat(),
        "old_end": session_date.ends_at.isoformat(),
    }
    session_date.starts_at = starts_at
    session_date.ends_at = ends_at
    session_date.sequence += 1
    session.flush()
    group = session_date.group
    bump_revision(session, group)
    notify_group(session, group, EmailKind.DATE_CHANGED, payload)
    return True


def change_venue(session: Session, group: Group, venue: dict[str, Any]) -> bool:
    """Give the group a new venue (name, address, coordinates); every date of the group
    changes place, so each gets a new SEQUENCE. Returns whether anything changed."""
    changes = {
        field: venue[field]
        for field in VENUE_FIELDS
        if field in venue and getattr(group, field) != venue[field]
    }
    if not changes:
        return False
    payload = {"old_venue": group.venue_name, "old_address": group.address}
    for field, value in changes.items():
        setattr(group, field, value)
    for session_date in group.dates:
        session_date.sequence += 1
    session.flush()
    bump_revision(session, group)
    notify_group(session, group, EmailKind.DATE_CHANGED, payload)
    return True


def add_date(session: Session, group: Group, starts_at: datetime, ends_at: datetime) -> SessionDate:
    """Add a date to a group; its participants are told, since they commit to every date."""
    check_times(starts_at, ends_at)
    session_date = SessionDate(group=group, starts_at=starts_at, ends_at=ends_at)
    session.add(session_date)
    session.flush()
    bump_revision(session, group)
    notify_group(session, group, EmailKind.DATE_CHANGED, {"date_id": session_date.id})
    return session_date


def cancel_date(session: Session, session_date: SessionDate) -> bool:
    """Call off one date (calendars receive it as cancelled); returns False if it already was."""
    if session_date.cancelled_at is not None:
        return False
    session_date.cancelled_at = utcnow()
    session_date.sequence += 1
    session.flush()
    group = session_date.group
    bump_revision(session, group)
    notify_group(
        session,
        group,
        EmailKind.DATE_CANCELLED,
        {"date_id": session_date.id, "start": session_date.starts_at.isoformat()},
    )
    return True


def cancel_group(session: Session, group: Group) -> bool:
    """Call off a whole group and every one of its dates; returns False if it already was."""
    if group.cancelled_at is not None:
        return False
    group.cancelled_at = utcnow()
    for session_date in group.dates:
        session_date.sequence += 1
    session.flush()
    bump_revision(session, group)
    notify_group(session, group, EmailKind.GROUP_CANCELLED, {})
    return True
