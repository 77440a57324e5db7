"""Which events the sessions page, its archive and the public API list, and in what order,
as SQL that reads one page whatever the number of events held over the years.

An event is coming while one of its held dates is still to come or under way (recurring
office hours always are), listed by the start of the soonest such date; it is past once none
is, listed in the archive by the end of its last held date, latest first, under that year.
Only published events are public: a draft is seen by its organisers alone, and everything
public (pages, API, feeds, listings) asks ``public_clause``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from shared.domain.attendance import held_clause
from shared.i18n import BRUSSELS
from shared.models import Event, EventKind, Group, SessionDate
from shared.paging import Keyset


@dataclass(frozen=True)
class Filters:
    """What a listing is narrowed to: a town, a kind, dates starting within [from, before)."""

    town: str | None = None
    kind: EventKind | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None


def public_clause() -> ColumnElement[bool]:
    """An event anyone may see: published, not a draft; for a query on events."""
    return Event.published.is_(True)


def local_midnight(day: date) -> datetime:
    """The moment a day begins in Brussels."""
    return datetime.combine(day, time(), BRUSSELS)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """When ``first`` begins and ``last`` ends in Brussels."""
    return local_midnight(first), local_midnight(last + timedelta(days=1))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """When a month begins and ends in Brussels."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return local_midnight(first), local_midnight(following)


def coming_clause(now: datetime) -> ColumnElement[bool]:
    """A held date still to come or under way at ``now``, for a query joining its group."""
    return held_clause() & or_(SessionDate.recurrence_rule.is_not(None), SessionDate.ends_at > now)


def _date_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.town is not None:
        conditions.append(Group.town_slug == filters.town)
    if filters.starts_from is not None:
        # Office hours recur past any start: only their beginning is compared, with the end.
        recurring = SessionDate.recurrence_rule.is_not(None)
        conditions.append(or_(recurring, SessionDate.starts_at >= filters.starts_from))
    if filters.starts_before is not None:
        conditions.append(SessionDate.starts_at < filters.starts_before)
    return conditions


def _by_first_start(
    filters: Filters, *dates: ColumnElement[bool]
) -> tuple[Select[tuple[Event]], Keyset]:
    """Public events with a date matching ``filters`` and ``dates``, by its earliest start."""
    first = (
        select(Group.event_id, func.min(SessionDate.starts_at).label("key"))
        .join(SessionDate.group)
        .where(*dates, *_date_conditions(filters))
        .group_by(Group.event_id)
        .subquery()
    )
    query = select(Event).join(first, first.c.event_id == Event.id).where(public_clause())
    if filters.kind is not None:
        query = query.where(Event.kind == filters.kind)
    return query, Keyset((first.c.key, Event.id))


def coming_events(filters: Filters, now: datetime) -> tuple[Select[tuple[Event]], Keyset]:
    """Events with a coming date matching ``filters``, soonest first."""
    return _by_first_start(filters, coming_clause(now))


def all_events(filters: Filters) -> tuple[Select[tuple[Event]], Keyset]:
    """Events with a date matching ``filters``, past or coming, held or not, by first start."""
    return _by_first_start(filters)


def _past_ends(now: datetime) -> Select[tuple[int, datetime]]:
    """Each past event's id and the end of its last held date."""
    coming = case((or_(SessionDate.recurrence_rule.is_not(None), SessionDate.ends_at > now), 1))
    return (
        select(Group.event_id, func.max(SessionDate.ends_at).label("key"))
        .join(SessionDate.group)
        .join(Group.event)
        .where(held_clause(), public_clause())
        .group_by(Group.event_id)
        .having(func.count(coming) == 0)
    )


def past_events(year: int, now: datetime) -> tuple[Select[tuple[Event]], Keyset]:
    """Events whose last held date ended in ``year`` (Brussels time), latest first."""
    begins, ends = local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))
    ended = _past_ends(now).subquery()
    query = (
        select(Event)
        .join(ended, ended.c.event_id == Event.id)
        .where(ended.c.key >= begins, ended.c.key < ends)
    )
    return query, Keyset((ended.c.key, Event.id), descending=True)


def archive_years(session: Session, now: datetime) -> list[int]:
    """The years of the archive, latest first: from the last past event's to the first's."""
    ended = _past_ends(now).subquery()
    first, last = session.execute(select(func.min(ended.c.key), func.max(ended.c.key))).one()
    if first is None:
        return []
    return list(range(last.astimezone(BRUSSELS).year, first.astimezone(BRUSSELS).year - 1, -1))


def coming_towns(session: Session, now: datetime) -> list[tuple[str, str]]:
    """The towns with a coming date, by name, as (slug, name)."""
    query = (
        select(Group.town_slug, Group.town)
        .join(Group.dates)
        .join(Group.event)
        .where(coming_clause(now), public_clause())
        .distinct()
        .order_by(Group.town, Group.town_slug)
    )
    return [(slug, name) for slug, name in session.execute(query)]
