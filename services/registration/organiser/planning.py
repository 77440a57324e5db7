"""The planning across events: every held or called-off date in a range, with where it
meets, who runs it, its places and waiting list, the presence still to record once it is
past, and whether it stands in a clash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, load_only

from shared.access import events_run_by
from shared.database import utcnow
from shared.domain.attendance import is_held
from shared.domain.schedule import CLASH_GROUP_COLUMNS, standing_clashes
from shared.i18n import BRUSSELS
from shared.models import (
    Attendance,
    AttendanceRule,
    Event,
    Group,
    Organiser,
    Registration,
    RegistrationStatus,
    SessionDate,
    Trainer,
    group_trainers,
)


@dataclass(frozen=True)
class PlannedDate:
    """One date as the planning shows it."""

    date: SessionDate
    taken: int
    waiting: int
    expected: int | None
    marked: int
    clashes: list[str]

    @property
    def presence_to_record(self) -> int | None:
        """Participants whose presence is not recorded yet, once the date is over."""
        if self.expected is None or self.date.ends_at > utcnow() or not is_held(self.date):
            return None
        return max(self.expected - self.marked, 0)


# What the planning reads of each group.
PLANNED_GROUP_COLUMNS = (*CLASH_GROUP_COLUMNS, Group.venue_name, Group.capacity)


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
    # Counted in the same statement, once per date or group of the range rather than per
    # row: a correlated count per row costs more, and pushes PostgreSQL into JIT compiling.
    in_range = select(SessionDate.id).where(
        SessionDate.starts_at >= since, SessionDate.starts_at < until
    )
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    places = (
        select(
            Registration.group_id,
            func.count(Registration.id).filter(confirmed).label("taken"),
            func.count(Registration.id).filter(~confirmed).label("waiting"),
        )
        .where(
            Registration.group_id.in_(in_range.with_only_columns(SessionDate.group_id)),
            Registration.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]),
        )
        .group_by(Registration.group_id)
        .subquery()
    )
    marked = _count_by_date(Attendance.session_date_id, in_range)
    chosen = _count_by_date(Registration.session_date_id, in_range, confirmed)
    query = (
        select(
            SessionDate,
            func.coalesce(places.c.taken, 0),
            func.coalesce(places.c.waiting, 0),
            func.coalesce(marked.c.n, 0),
            func.coalesce(chosen.c.n, 0),
        )
        .join(SessionDate.group)
        .join(Group.event)
        .outerjoin(Group.room)
        .outerjoin(places, places.c.group_id == Group.id)
        .outerjoin(marked, marked.c.session_date_id == SessionDate.id)
        .outerjoin(chosen, chosen.c.session_date_id == SessionDate.id)
        .where(
            Event.id.in_(runs),
            SessionDate.starts_at >= since,
            SessionDate.starts_at < until,
        )
        .options(
            # Only what the planning shows: every column read costs on each row.
            load_only(SessionDate.starts_at, SessionDate.ends_at, SessionDate.cancelled_at),
            contains_eager(SessionDate.group).options(
                load_only(*PLANNED_GROUP_COLUMNS),
                contains_eager(Group.event).load_only(
                    Event.slug, Event.title, Event.attendance_rule
                ),
                contains_eager(Group.room),
                joinedload(Group.trainers).load_only(Trainer.name),
            ),
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
    rows = session.execute(query).unique().all()
    clashes: dict[int, list[str]] = {}
    for held, clash in standing_clashes(session, since, until):
        told = clash.described()
        clashes.setdefault(held.id, []).append(told)
        if clash.other_date_id is not None:
            clashes.setdefault(clash.other_date_id, []).append(told)
    return [
        PlannedDate(d, taken, waiting, _expected(d, taken, chosen), marked, clashes.get(d.id, []))
        for d, taken, waiting, marked, chosen in rows
    ]


def _count_by_date(column: Any, in_range: Select[Any], *where: Any) -> Subquery:
    """``column``'s rows counted by date (as ``n``), for the dates of ``in_range``."""
    return (
        select(column.label("session_date_id"), func.count().label("n"))
        .where(column.in_(in_range), *where)
        .group_by(column)
        .subquery()
    )


def _expected(session_date: SessionDate, taken: int, chosen: int) -> int | None:
    rule = session_date.group.event.attendance_rule
    if rule is AttendanceRule.ALL_DATES:
        return taken
    if rule is AttendanceRule.ONE_DATE:
        return chosen
    return None


def day_start(day: date, later: int = 0) -> datetime:
    """Midnight in Brussels, ``later`` days after ``day``."""
    return datetime.combine(day + timedelta(days=later), time(0), tzinfo=BRUSSELS)
