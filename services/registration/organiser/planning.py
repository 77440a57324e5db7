"""The planning across events: every held or called-off date in a range, with where it
meets, who runs it, its places and waiting list, the presence still to record once it is
past, and whether it stands in a clash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload, undefer

from shared.access import events_run_by
from shared.database import utcnow
from shared.domain.attendance import is_held
from shared.domain.schedule import standing_clashes
from shared.i18n import BRUSSELS
from shared.models import (
    Attendance,
    AttendanceRule,
    Event,
    Group,
    Organiser,
    Registration,
    RegistrationStatus,
    Room,
    SessionDate,
    group_trainers,
)


@dataclass(frozen=True)
class PlannedDate:
    """One date as the planning shows it."""

    date: SessionDate
    expected: int | None
    marked: int
    clashes: list[str]

    @property
    def presence_to_record(self) -> int | None:
        """Participants whose presence is not recorded yet, once the date is over."""
        if self.expected is None or self.date.ends_at > utcnow() or not is_held(self.date):
            return None
        return max(self.expected - self.marked, 0)


def planning(
    session: Session,
    organiser: Organiser,
    since: datetime,
    until: datetime,
    filters: dict[str, Any],
) -> list[PlannedDate]:
    """The dates of the organiser's events starting from ``since`` until before ``until``,
    narrowed by town, venue, trainer or event, in order."""
    runs = events_run_by(organiser).with_only_columns(Event.id)
    query = (
        select(SessionDate)
        .join(SessionDate.group)
        .join(Group.event)
        .where(
            Event.id.in_(runs),
            SessionDate.starts_at >= since,
            SessionDate.starts_at < until,
        )
        .options(
            contains_eager(SessionDate.group).options(
                contains_eager(Group.event),
                undefer(Group.confirmed_count),
                undefer(Group.waitlist_length),
                selectinload(Group.trainers),
                selectinload(Group.room).selectinload(Room.venue),
            )
        )
        .order_by(SessionDate.starts_at, SessionDate.id)
    )
    if "town" in filters:
        query = query.where(Group.town_slug == filters["town"])
    if "venue" in filters:
        query = query.where(Group.venue_id == filters["venue"])
    if "event" in filters:
        query = query.where(Event.slug == filters["event"])
    if "trainer" in filters:
        query = query.where(
            Group.id.in_(
                select(group_trainers.c.group_id).where(
                    group_trainers.c.trainer_id == filters["trainer"]
                )
            )
        )
    dates = session.scalars(query).unique().all()
    ids = [d.id for d in dates]
    marked = dict(
        session.execute(
            select(Attendance.session_date_id, func.count(Attendance.id))
            .where(Attendance.session_date_id.in_(ids))
            .group_by(Attendance.session_date_id)
        ).all()
    )
    chosen = dict(
        session.execute(
            select(Registration.session_date_id, func.count(Registration.id))
            .where(
                Registration.session_date_id.in_(ids),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .group_by(Registration.session_date_id)
        ).all()
    )
    clashes: dict[int, list[str]] = {}
    for held, clash in standing_clashes(session, since, until):
        clashes.setdefault(held.id, []).append(clash.described())
        if clash.other_date_id is not None:
            clashes.setdefault(clash.other_date_id, []).append(clash.described())
    return [
        PlannedDate(d, _expected(d, chosen), marked.get(d.id, 0), clashes.get(d.id, []))
        for d in dates
    ]


def _expected(session_date: SessionDate, chosen: dict[int, int]) -> int | None:
    rule = session_date.group.event.attendance_rule
    if rule is AttendanceRule.ALL_DATES:
        return session_date.group.confirmed_count
    if rule is AttendanceRule.ONE_DATE:
        return chosen.get(session_date.id, 0)
    return None


def day_start(day: date, later: int = 0) -> datetime:
    """Midnight in Brussels, ``later`` days after ``day``."""
    return datetime.combine(day + timedelta(days=later), time(0), tzinfo=BRUSSELS)
