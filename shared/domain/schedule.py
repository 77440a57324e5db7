"""Moving, relocating, adding and cancelling sessions.

Each change raises what calendars compare (the dates' SEQUENCE, the group's revision that
keys the cached feeds) and queues an email for every participant it concerns; a first date
moved later or called off lets the waiting list move again. A closed group's schedule and
venue no longer change. The functions flush and never commit; each returns whether anything
changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import utcnow
from shared.domain.attendance import concerns_clause, is_held
from shared.domain.capacity import lock_group, promote_waitlisted
from shared.errors import GroupClosed, InvalidRequest
from shared.models import EmailKind, Group, Registration, SessionDate
from shared.models.registrations import ACTIVE_STATUSES
from shared.outbox import queue_email

VENUE_FIELDS = (
    "venue_name",
    "street_address",
    "postcode",
    "town",
    "town_slug",
    "latitude",
    "longitude",
)


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    """Refuse times without a timezone, or an end that does not follow the start."""
    errors: dict[str, list[Any]] = {}
    for field, moment in (("start", starts_at), ("end", ends_at)):
        if moment.tzinfo is None:
            errors[field] = [_l("Une date et heure avec fuseau horaire est attendue.")]
    if not errors and ends_at <= starts_at:
        errors["end"] = [_l("La fin doit suivre le début.")]
    if errors:
        raise InvalidRequest(errors=errors)


def lock_open_group(session: Session, group: Group) -> None:
    """Take the group's lock, then refuse (409) to change its schedule or venue if it is
    closed: its certificates were issued for them. Asked under the lock, which closing
    takes too."""
    lock_group(session, group)
    session.refresh(group, ["closed_at"])
    if group.closed_at is not None:
        raise GroupClosed()


def change_date_time(
    session: Session, session_date: SessionDate, starts_at: datetime, ends_at: datetime
) -> bool:
    """Move a date; tell its participants."""
    check_times(starts_at, ends_at)
    if not is_held(session_date):
        raise InvalidRequest(_l("Cette date a été annulée."))
    if (session_date.starts_at, session_date.ends_at) == (starts_at, ends_at):
        return False
    group = session_date.group
    lock_open_group(session, group)
    payload = {
        "session_date_id": session_date.id,
        "previous_starts_at": session_date.starts_at.isoformat(),
        "previous_ends_at": session_date.ends_at.isoformat(),
    }
    session_date.starts_at = starts_at
    session_date.ends_at = ends_at
    _mark_changed(session, group, [session_date])
    _tell(session, EmailKind.DATE_CHANGED, _concerned(session, group, session_date), payload)
    # A first date moved later may give back to those waiting the places freed meanwhile.
    promote_waitlisted(session, group)
    return True


def change_venue(session: Session, group: Group, **fields: Any) -> bool:
    """Change where a group meets; every date changes place; tell its participants."""
    unknown = sorted(set(fields) - set(VENUE_FIELDS))
    if unknown:
        raise InvalidRequest(
            errors={field: [_l("Ce champ n'est pas accepté.")] for field in unknown}
        )
    changed = {name: value for name, value in fields.items() if getattr(group, name) != value}
    if not changed:
        return False
    lock_open_group(session, group)
    payload = {
        "changed": sorted(changed),
        "previous_venue_name": group.venue_name,
        "previous_address": group.address,
    }
    for name, value in changed.items():
        setattr(group, name, value)
    _mark_changed(session, group, group.dates)
    _tell(session, EmailKind.DATE_CHANGED, _concerned(session, group), payload)
    return True


def add_date(session: Session, group: Group, starts_at: datetime, ends_at: datetime) -> SessionDate:
    """Add a date to a group; its participants are told, since they commit to every date."""
    check_times(starts_at, ends_at)
    lock_open_group(session, group)
    session_date = SessionDate(group=group, starts_at=starts_at, ends_at=ends_at)
    session.add(session_date)
    session.flush()
    payload = {
        "session_date_id": session_date.id,
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
    }
    _tell(session, EmailKind.DATE_CHANGED, _concerned(session, group), payload)
    return session_date


def cancel_date(
    session: Session, session_date: SessionDate, *, now: datetime | None = None
) -> bool:
    """Call one date off (idempotent, and nothing for a date no longer held); tell its
    participants."""
    if not is_held(session_date):
        return False
    group = session_date.group
    lock_open_group(session, group)
    session_date.cancelled_at = now or utcnow()
    _mark_changed(session, group, [session_date])
    payload = {
        "session_date_id": session_date.id,
        "starts_at": session_date.starts_at.isoformat(),
        "ends_at": session_date.ends_at.isoformat(),
    }
    _tell(session, EmailKind.DATE_CANCELLED, _concerned(session, group, session_date), payload)
    # So may a first date called off: the group then starts later.
    promote_waitlisted(session, group)
    return True


def cancel_group(session: Session, group: Group, *, now: datetime | None = None) -> bool:
    """Call a whole group off (idempotent); tell its participants."""
    if group.cancelled_at is not None:
        return False
    lock_open_group(session, group)
    group.cancelled_at = now or utcnow()
    _mark_changed(session, group, group.dates)
    _tell(session, EmailKind.GROUP_CANCELLED, _concerned(session, group), {})
    return True


def _mark_changed(session: Session, group: Group, dates: Iterable[SessionDate]) -> None:
    # Expressions, not read-modify-write: two organisers editing at once both count. The
    # group's revision was bumped when its lock was taken.
    for session_date in dates:
        session_date.sequence = SessionDate.sequence + 1
    session.flush()


def _concerned(
    session: Session, group: Group, session_date: SessionDate | None = None
) -> list[Registration]:
    """Active registrations of the group; for one date, those it concerns."""
    query = select(Registration).where(
        Registration.group_id == group.id, Registration.status.in_(ACTIVE_STATUSES)
    )
    if session_date is not None:
        query = query.where(concerns_clause(session_date.id))
    return list(session.scalars(query.order_by(Registration.id)))


def _tell(
    session: Session, kind: EmailKind, registrations: list[Registration], payload: dict[str, Any]
) -> None:
    for registration in registrations:
        queue_email(session, kind, registration=registration, payload=payload)
