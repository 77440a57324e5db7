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
from shared.domain.attendance import held_clause
from shared.domain.listing import day_bounds
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


def planning(session: Session, organiser: Organiser, filters: dict[str, Any]) -> list[PlannedDate]:
    """The dates of the organiser's events between the Brussels days ``since`` and ``until``
    (both included), narrowed by town, venue, trainer or event, in order: ``filters`` as
    PlanningQuerySchema loads them."""
    since, until = day_bounds(filters["since"], filters["until"])
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
            held_clause().label("held"),
            Event.slug.label("event"),
            # As text, decoded once per event below rather than on each of the month's rows.
            cast(Event.title, String).label("title"),
            Event.attendance_rule,
            Group.slug.label("group"),
            Group.name.label("group_name"),
            Group.town,
            Group.venue_name,
            Room.name.label("room"),
            Group.capacity,
            func.coalesce(places.c.taken, 0).label("taken"),
            func.coalesce(places.c.waiting, 0).label("waiting"),
            func.coalesce(marked.c.n, 0).label("marked"),
            func.coalesce(chosen.c.n, 0).label("chosen"),
            Trainer.name.label("trainer"),
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
        if found and found[-1].id == row.id:
            found[-1].trainers.append(row.trainer)
            continue
        if row.title not in titles:
            titles[row.title] = json.loads(row.title) if row.title else {}
        expected = _expected(row.attendance_rule, row.taken, row.chosen)
        to_record = None
        if expected is not None and row.held and row.ends_at <= now:
            to_record = max(expected - row.marked, 0)
        found.append(
            PlannedDate(
                id=row.id,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                held=bool(row.held),
                event=row.event,
                event_title=titles[row.title],
                group=row.group,
                group_name=row.group_name,
                town=row.town,
                venue=row.venue_name,
                room=row.room,
                capacity=row.capacity,
                trainers=[] if row.trainer is None else [row.trainer],
                taken=row.taken,
                waiting=row.waiting,
                presence_to_record=to_record,
                clashes=clashes.get(row.id, []),
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
