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

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from shared.domain.attendance import held_clause
from shared.domain.schedule import LONGEST_DATE
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


def _coming(
    session_date: type[SessionDate], group: type[Group], now: datetime
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The two kinds of coming held dates: those of one day still to come or under way,
    whose start an index finds since a date lasts at most a day, and recurring office hours,
    coming whenever they began."""
    held = held_clause(session_date, group)
    one_day = and_(
        session_date.recurrence_rule.is_(None),
        session_date.starts_at > now - LONGEST_DATE,
        session_date.ends_at > now,
    )
    return held & one_day, held & session_date.recurrence_rule.is_not(None)


def _within(
    session_date: type[SessionDate], group: type[Group], filters: Filters
) -> list[ColumnElement[bool]]:
    """What a date of ``group`` must be to fall within ``filters``."""
    conditions = []
    if filters.town is not None:
        conditions.append(group.town_slug == filters.town)
    if filters.starts_from is not None:
        # Office hours recur past any start: only their beginning is compared, with the end.
        recurring = session_date.recurrence_rule.is_not(None)
        conditions.append(or_(recurring, session_date.starts_at >= filters.starts_from))
    if filters.starts_before is not None:
        conditions.append(session_date.starts_at < filters.starts_before)
    return conditions


# Another date of the same event, and its group: made once, as building an alias's columns
# costs more than the rest of the query.
_EARLIER = aliased(SessionDate, name="earlier")
_EARLIER_GROUP = aliased(Group, name="earlier_group")
# A group of the town a step of coming_towns looks at.
_TOWN_GROUP = aliased(Group, name="town_group")


def _by_first_start(
    filters: Filters, now: datetime | None, after: tuple | None, size: int
) -> tuple[Select[tuple[Event]], Keyset]:
    """Public events with a date within ``filters`` (coming at ``now`` unless it is None),
    by the earliest such date's start: the first ``size`` after the key ``after``.

    An event's first such date is the one no such date of its event precedes. The dates are
    read in the order of their start, and the reading stops once ``size`` events are found,
    however many the years have held; each kind of coming date is read by its own index."""
    earlier, earlier_group = _EARLIER, _EARLIER_GROUP
    precedes = (earlier.starts_at < SessionDate.starts_at) | and_(
        earlier.starts_at == SessionDate.starts_at, earlier.id < SessionDate.id
    )
    coming_earlier = [] if now is None else [or_(*_coming(earlier, earlier_group, now))]
    first_of_event = ~exists().where(
        earlier.group_id == earlier_group.id,
        earlier_group.event_id == Group.event_id,
        precedes,
        *coming_earlier,
        *_within(earlier, earlier_group, filters),
    )
    dates = (
        select(Group.event_id, SessionDate.starts_at.label("key"))
        .join(SessionDate.group)
        .join(Group.event)
        .where(public_clause(), first_of_event, *_within(SessionDate, Group, filters))
    )
    if filters.kind is not None:
        dates = dates.where(Event.kind == filters.kind)
    order = Keyset((SessionDate.starts_at, Group.event_id))
    if after is not None:
        dates = dates.where(order.after(after))
    parts = (
        [dates] if now is None else [dates.where(kind) for kind in _coming(SessionDate, Group, now)]
    )
    found = [part.order_by(*order.order_by()).limit(size).subquery() for part in parts]
    first = found[0] if len(found) == 1 else union_all(*(select(f) for f in found)).subquery()
    query = select(Event).join(first, first.c.event_id == Event.id)
    return query, Keyset((first.c.key, first.c.event_id))


def coming_events(
    filters: Filters, now: datetime, *, after: tuple | None, size: int
) -> tuple[Select[tuple[Event]], Keyset]:
    """The first ``size`` events after the key ``after`` with a coming date matching
    ``filters``, soonest first: the dates are read only that far."""
    return _by_first_start(filters, now, after, size)


def all_events(
    filters: Filters, *, after: tuple | None, size: int
) -> tuple[Select[tuple[Event]], Keyset]:
    """Events with a date matching ``filters``, past or coming, held or not, by first start;
    ``after`` and ``size`` as for :func:`coming_events`."""
    return _by_first_start(filters, None, after, size)


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
    """The towns with a coming date, by name, as (slug, name).

    Read town by town along the index of towns: each step finds the next town with a group
    whose event is public and which has a coming date, stopping at the first such group,
    rather than gathering every coming date of every town."""
    has_coming = (
        select(SessionDate.id)
        .join(Event, Event.id == _TOWN_GROUP.event_id)
        .where(SessionDate.group_id == _TOWN_GROUP.id, public_clause())
        .where(or_(*_coming(SessionDate, _TOWN_GROUP, now)))
        .exists()
    )
    slug, name = _TOWN_GROUP.town_slug, _TOWN_GROUP.town

    def after(previous: ColumnElement[str] | None) -> ColumnElement[str | None]:
        query = select(func.min(slug)).where(has_coming)
        if previous is not None:
            query = query.where(slug > previous)
        return query.scalar_subquery()

    towns = select(after(None).label("slug")).cte("towns", recursive=True)
    towns = towns.union_all(select(after(towns.c.slug)).where(towns.c.slug.is_not(None)))
    # A town's slug is made from its name: any of its coming groups names it.
    named = select(name).where(slug == towns.c.slug, has_coming).limit(1).scalar_subquery()
    query = (
        select(towns.c.slug, named.label("name"))
        .where(towns.c.slug.is_not(None))
        # By name as the database collates it, accents included.
        .order_by("name", towns.c.slug)
    )
    return [(slug, name) for slug, name in session.execute(query)]
