"""The planning across events: every held or called-off date in a range, with where it
meets, who runs it, its places and waiting list, the presence still to record once it is
past, and whether it stands in a clash."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, Subquery, cast, func, select
from sqlalchemy.orm import Session

from shared.access import events_run_by
from shared.database import utcnow
from shared.domain.schedule import standing_clashes
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
    Trainer,
    group_trainers,
)
from shared.models.registration_questions import in_language


@dataclass(frozen=True, slots=True)
class PlannedDate:
    """One date as the planning shows it, from plain columns."""

    id: int
    starts_at: datetime
    ends_at: datetime
    held: bool
    event: str
    event_title: dict[str, str]
    group: str
    group_name: str
    town: str
    venue: str
    room: str | None
    capacity: int | None
    trainers: list[str]
    taken: int
    waiting: int
    presence_to_record: int | None
    clashes: list[str]

    def title(self, language: str) -> str:
        """The event's title in ``language``, or else in French."""
        return in_language(self.event_title, language)


# What the planning may be narrowed to, each by its id or slug.
FILTERS = ("town", "venue", "trainer", "event")


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
    # Plain columns, a row per date and trainer: entities would cost on every row.
    query = (
        select(
            SessionDate.id,
            SessionDate.starts_at,
            SessionDate.ends_at,
            SessionDate.cancelled_at,
            Group.cancelled_at,
            Event.slug,
            # As text, decoded once per event below rather than on each of the month's rows.
            cast(Event.title, String),
            Event.attendance_rule,
            Group.slug,
            Group.name,
            Group.town,
            Group.venue_name,
            Room.name,
            Group.capacity,
            func.coalesce(places.c.taken, 0),
            func.coalesce(places.c.waiting, 0),
            func.coalesce(marked.c.n, 0),
            func.coalesce(chosen.c.n, 0),
            Trainer.name,
        )
        .join(SessionDate.group)
        .join(Group.event)
        .outerjoin(Group.room)
        .outerjoin(places, places.c.group_id == Group.id)
        .outerjoin(marked, marked.c.session_date_id == SessionDate.id)
        .outerjoin(chosen, chosen.c.session_date_id == SessionDate.id)
        .outerjoin(group_trainers, group_trainers.c.group_id == Group.id)
        .outerjoin(Trainer, Trainer.id == group_trainers.c.trainer_id)
        .where(
            Event.id.in_(runs),
            SessionDate.starts_at >= since,
            SessionDate.starts_at < until,
        )
        .order_by(SessionDate.starts_at, SessionDate.id, Trainer.name)
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
    clashes: dict[int, list[str]] = {}
    for held, clash in standing_clashes(session, since, until):
        told = clash.described()
        clashes.setdefault(held.id, []).append(told)
        if clash.other_date_id is not None:
            clashes.setdefault(clash.other_date_id, []).append(told)
    now = utcnow()
    titles: dict[str, dict[str, str]] = {}
    found: list[PlannedDate] = []
    for row in session.execute(query):
        if found and found[-1].id == row[0]:
            found[-1].trainers.append(row[18])
            continue
        (date_id, starts_at, ends_at, date_off, group_off, event, title, rule) = row[:8]
        if title not in titles:
            titles[title] = json.loads(title) if title else {}
        held = date_off is None and group_off is None
        taken, waiting, marked_n, chosen_n = row[14:18]
        expected = _expected(rule, taken, chosen_n)
        to_record = None
        if expected is not None and held and ends_at <= now:
            to_record = max(expected - marked_n, 0)
        found.append(
            PlannedDate(
                date_id,
                starts_at,
                ends_at,
                held,
                event,
                titles[title],
                *row[8:14],
                [] if row[18] is None else [row[18]],
                taken,
                waiting,
                to_record,
                clashes.get(date_id, []),
            )
        )
    return found


def _count_by_date(column: Any, in_range: Select[Any], *where: Any) -> Subquery:
    """``column``'s rows counted by date (as ``n``), for the dates of ``in_range``."""
    return (
        select(column.label("session_date_id"), func.count().label("n"))
        .where(column.in_(in_range), *where)
        .group_by(column)
        .subquery()
    )


def _expected(rule: AttendanceRule, taken: int, chosen: int) -> int | None:
    """Participants expected on a date: the group's, or those who chose it."""
    if rule is AttendanceRule.ALL_DATES:
        return taken
    if rule is AttendanceRule.ONE_DATE:
        return chosen
    return None
