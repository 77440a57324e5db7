"""Moving, relocating, adding and cancelling sessions.

Each change raises what calendars compare (the dates' SEQUENCE, the group's revision that
keys the cached feeds) and queues an email for every participant it concerns, and one for
each trainer of a published event listing every date of theirs it changed; a first date
moved later or called off lets the waiting list move again. A closed group's schedule and
venue no longer change. The functions flush and never commit; each returns whether anything
changed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import ARRAY, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from shared.database import UTCDateTime, busy_when_locked, utcnow
from shared.domain.attendance import concerns_clause, held_clause, held_dates, is_held
from shared.domain.capacity import lock_group, promote_waitlisted
from shared.errors import DomainError, GroupClosed, InvalidRequest
from shared.i18n import BRUSSELS, format_short
from shared.models import (
    EmailKind,
    EmailMessage,
    Event,
    Group,
    OutboxMessage,
    Registration,
    Room,
    SessionDate,
    Trainer,
    TrainerUnavailability,
    Venue,
    group_trainers,
)
from shared.models.registrations import ACTIVE_STATUSES
from shared.outbox import Email, queue_email, queue_emails

VENUE_FIELDS = (
    "venue_name",
    "street_address",
    "postcode",
    "town",
    "town_slug",
    "latitude",
    "longitude",
)


# A session date lasts at most a day; a trainer's unavailability may last longer.
LONGEST_DATE = timedelta(hours=24)


def check_times(
    starts_at: datetime, ends_at: datetime, *, longest: timedelta | None = LONGEST_DATE
) -> None:
    """Refuse times without a timezone, an end that does not follow the start, or a range
    longer than ``longest``."""
    errors: dict[str, list[Any]] = {}
    for field, moment in (("start", starts_at), ("end", ends_at)):
        if moment.tzinfo is None:
            errors[field] = [_l("Une date et heure avec fuseau horaire est attendue.")]
    if not errors and ends_at <= starts_at:
        errors["end"] = [_l("La fin doit suivre le début.")]
    elif not errors and longest is not None and ends_at - starts_at > longest:
        errors["end"] = [_l("Une date dure au plus 24 heures.")]
    if errors:
        raise InvalidRequest(errors=errors)


class ScheduleConflict(DomainError):
    """A date clashes with another held date of its room, trainers or group, or with a
    trainer's unavailability; ``errors.clashes`` lists each."""

    code = "schedule_conflict"
    default_message = _l("Ce créneau est en conflit avec d'autres dates.")


@dataclass(frozen=True)
class Clash:
    """One reason a proposed slot cannot be booked: what it meets, when, and where."""

    kind: str
    starts_at: datetime
    ends_at: datetime
    other_date_id: int | None = None
    group: str = ""
    where: str = ""
    trainer: str = ""

    def described(self) -> str:
        """What, when and where, in the organiser's language."""
        return CLASH_MESSAGES[self.kind] % {
            "start": format_short(self.starts_at),
            "end": format_short(self.ends_at),
            "group": self.group,
            "where": self.where,
            "trainer": self.trainer,
        }


CLASH_MESSAGES = {
    "group": _l("Le groupe %(group)s a déjà une date du %(start)s au %(end)s."),
    "room": _l("La salle %(where)s est prise par le groupe %(group)s du %(start)s au %(end)s."),
    "trainer": _l("%(trainer)s anime le groupe %(group)s du %(start)s au %(end)s."),
    "travel": _l(
        "%(trainer)s anime le groupe %(group)s à %(where)s du %(start)s au %(end)s : "
        "trop peu de temps pour s'y rendre."
    ),
    "unavailable": _l("%(trainer)s est indisponible du %(start)s au %(end)s."),
}


# Minutes a trainer needs between sessions in different towns, unless SCHEDULE_TRAVEL_MIN
# says otherwise.
DEFAULT_TRAVEL_MIN = 60


def travel_time() -> timedelta:
    """How long a trainer needs between sessions in different towns."""
    minutes = (
        current_app.config.get("SCHEDULE_TRAVEL_MIN", DEFAULT_TRAVEL_MIN)
        if has_app_context()
        else DEFAULT_TRAVEL_MIN
    )
    return timedelta(minutes=minutes)


def lock_room_and_trainers(session: Session, group: Group) -> None:
    """Take the row locks of the group's room and trainers, in id order, for the rest of
    the transaction: two bookings of one room or trainer then check and write one after the
    other. SQLite needs none: its writers already run one at a time."""
    with busy_when_locked():
        if group.room_id is not None:
            session.execute(select(Room.id).where(Room.id == group.room_id).with_for_update())
        trainer_ids = sorted(t.id for t in group.trainers)
        if trainer_ids:
            session.execute(
                select(Trainer.id)
                .where(Trainer.id.in_(trainer_ids))
                .order_by(Trainer.id)
                .with_for_update()
            )


@dataclass(frozen=True, slots=True)
class Booked:
    """A held date as clashes are found and told by, read as plain columns: where it meets,
    its group's room and town, and its trainers (id to name, by name)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    event: str
    group_id: int
    group_slug: str
    group: str
    room_id: int | None
    where: str
    town: str
    town_slug: str
    trainers: dict[int, str]
    recurrence_rule: str | None
    excluded_dates: list[str]


# Built once: a statement of many columns and joins costs more to build than to run.
HELD_DATES = (
    select(
        SessionDate.id,
        SessionDate.starts_at,
        SessionDate.ends_at,
        SessionDate.recurrence_rule,
        # Decoded only where it counts: a JSON value read costs on each row.
        case((SessionDate.recurrence_rule.is_not(None), SessionDate.excluded_dates)),
        Event.slug,
        Group.id,
        Group.slug,
        Group.name,
        Group.room_id,
        Venue.name,
        Room.name,
        Group.town,
        Group.town_slug,
        Trainer.id,
        Trainer.name,
    )
    .join(SessionDate.group)
    .join(Group.event)
    .outerjoin(Group.room)
    .outerjoin(Room.venue)
    .outerjoin(group_trainers, group_trainers.c.group_id == Group.id)
    .outerjoin(Trainer, Trainer.id == group_trainers.c.trainer_id)
    .where(held_clause())
    .order_by(SessionDate.starts_at, SessionDate.id, Trainer.name)
)


def _booked(
    session: Session, statement: Select[Any], params: dict[str, Any] | None = None
) -> list[Booked]:
    """The held dates ``statement`` (``HELD_DATES`` narrowed) reads, by start: one
    statement, a row per date and trainer, plain columns rather than entities (each entity
    loaded costs on every row)."""
    rows = session.execute(statement, params or {}).all()
    found: list[Booked] = []
    for (
        date_id,
        starts_at,
        ends_at,
        rule,
        excluded,
        event,
        group_id,
        group_slug,
        group,
        room_id,
        venue,
        room,
        town,
        town_slug,
        trainer_id,
        trainer,
    ) in rows:
        if not found or found[-1].id != date_id:
            place = f"{venue} · {room}" if room_id is not None else ""
            found.append(
                Booked(
                    date_id,
                    starts_at,
                    ends_at,
                    event,
                    group_id,
                    group_slug,
                    group,
                    room_id,
                    place,
                    town,
                    town_slug,
                    {},
                    rule,
                    excluded or [],
                )
            )
        if trainer_id is not None:
            found[-1].trainers[trainer_id] = trainer
    return found


def clashes(
    session: Session,
    group: Group,
    slots: Sequence[tuple[datetime, datetime]],
    *,
    ignore: Iterable[int] = (),
) -> list[Clash]:
    """Every clash of ``slots`` for ``group``: held dates of the same group, room or trainers
    overlapping them, a trainer's dates in another town less than the travel time apart,
    and the trainers' unavailabilities. Called-off dates never clash; the dates in
    ``ignore`` (those being moved) neither. Two queries, whatever the number of slots."""
    if not slots:
        return []
    travel = travel_time()
    trainers = {t.id: t.name for t in group.trainers}
    earliest = min(start for start, _end in slots) - travel
    latest = max(end for _start, end in slots) + travel
    params = {
        "group_id": group.id,
        "room_id": group.room_id,
        "trainer_ids": list(trainers),
        "ignore": list(ignore),
        "latest": latest,
    }
    spans = _reach(slots, travel)
    if session.get_bind().dialect.name == "postgresql":
        statement = NEARBY_ON_POSTGRESQL
        params["reach_starts"] = [start for start, _end in spans]
        params["reach_ends"] = [end for _start, end in spans]
    else:
        if len(spans) > MAX_SPANS:
            spans = [(spans[0][0], max(end for _start, end in spans))]
        within = (
            and_(SessionDate.starts_at < end, SessionDate.ends_at > start) for start, end in spans
        )
        statement = HELD_DATES.where(
            *SHARING, or_(*within, SessionDate.recurrence_rule.is_not(None))
        )
    others = _booked(session, statement, params)
    # By start, so that each slot looks only at those that can reach it: a series of a year
    # would otherwise compare every slot with every date of the year.
    occurrences = sorted(
        (o for other in others for o in _occurrences(other, earliest, latest)),
        key=lambda occurrence: occurrence[1],
    )
    starts = [other_start for _other, other_start, _other_end in occurrences]
    longest = max((end - start for _other, start, end in occurrences), default=timedelta(0))
    unavailable = _unavailabilities(session, earliest, latest, trainers)
    found: list[Clash] = []
    for start, end in slots:
        near = occurrences[
            bisect_right(starts, start - travel - longest) : bisect_left(starts, end + travel)
        ]
        for other, other_start, other_end in near:
            found.extend(
                _date_clashes(
                    (group.id, group.room_id, group.town_slug),
                    trainers,
                    start,
                    end,
                    other,
                    travel,
                    other_start,
                    other_end,
                )
            )
        found.extend(_unavailable_then(unavailable, trainers, start, end))
    return found


def _unavailabilities(
    session: Session, since: datetime, until: datetime, trainers: Iterable[int] | None = None
) -> list[tuple[int, datetime, datetime]]:
    """The trainers' unavailabilities meeting [since, until), of ``trainers`` or everyone's."""
    query = select(
        TrainerUnavailability.trainer_id,
        TrainerUnavailability.starts_at,
        TrainerUnavailability.ends_at,
    ).where(TrainerUnavailability.starts_at < until, TrainerUnavailability.ends_at > since)
    if trainers is not None:
        query = query.where(TrainerUnavailability.trainer_id.in_(list(trainers)))
    return [tuple(row) for row in session.execute(query.order_by(TrainerUnavailability.starts_at))]


def _unavailable_then(
    unavailable: list[tuple[int, datetime, datetime]],
    trainers: dict[int, str],
    start: datetime,
    end: datetime,
) -> list[Clash]:
    """A clash for each of ``unavailable`` that keeps one of ``trainers`` from [start, end)."""
    return [
        Clash("unavailable", gap_start, gap_end, trainer=trainers[trainer_id])
        for trainer_id, gap_start, gap_end in unavailable
        if trainer_id in trainers and gap_start < end and start < gap_end
    ]


# A condition each on SQLite, which refuses an expression deeper than 1,000 terms: beyond
# this many spans, it reads the one span around them all.
MAX_SPANS = 100


def _reach(
    slots: Sequence[tuple[datetime, datetime]], travel: timedelta
) -> list[tuple[datetime, datetime]]:
    """The spans a date must meet to clash with one of ``slots``: each slot widened by the
    travel time, those that overlap merged."""
    spans: list[tuple[datetime, datetime]] = []
    for start, end in sorted((start - travel, end + travel) for start, end in slots):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


# What a group's slots may meet: the held dates of the same group, room or trainers, but
# those being moved, up to the last slot. With placeholders, built once.
SHARING = (
    or_(
        Group.id == bindparam("group_id"),
        Group.room_id == bindparam("room_id"),
        Group.id.in_(
            select(group_trainers.c.group_id).where(
                group_trainers.c.trainer_id.in_(bindparam("trainer_ids", expanding=True))
            )
        ),
    ),
    SessionDate.id.not_in(bindparam("ignore", expanding=True)),
    SessionDate.starts_at < bindparam("latest", type_=UTCDateTime()),
)
# Only the dates within reach of a slot (a series of a year need not read the whole year);
# recurring office hours take place long after their first date. On PostgreSQL the spans go
# as two arrays (``unnest``): a condition and two placeholders per span cost more to build,
# send and parse than the read itself, and the statement stays the same, prepared once.
# From the spans to the dates by their start (a date lasts at most a day): a plan that holds
# whatever the spans, as a prepared plan must.
_REACH = (
    func.unnest(
        bindparam("reach_starts", type_=ARRAY(UTCDateTime())),
        bindparam("reach_ends", type_=ARRAY(UTCDateTime())),
    )
    .table_valued("starts_at", "ends_at")
    .render_derived()
)
_MET = aliased(SessionDate)
NEARBY_ON_POSTGRESQL = HELD_DATES.where(
    *SHARING,
    or_(
        SessionDate.id.in_(
            select(_MET.id).join(
                _REACH,
                and_(
                    _MET.starts_at < _REACH.c.ends_at,
                    _MET.starts_at > _REACH.c.starts_at - LONGEST_DATE,
                    _MET.ends_at > _REACH.c.starts_at,
                ),
            )
        ),
        SessionDate.recurrence_rule.is_not(None),
    ),
)


def _occurrences(
    session_date: Booked, earliest: datetime, latest: datetime
) -> list[tuple[Booked, datetime, datetime]]:
    """When a date takes place between ``earliest`` and ``latest``: once, or for recurring
    office hours each time their rule brings them back, their closures left out."""
    if not session_date.recurrence_rule:
        return [(session_date, session_date.starts_at, session_date.ends_at)]
    length = session_date.ends_at - session_date.starts_at
    start = session_date.starts_at.astimezone(BRUSSELS)
    rule = rrulestr(session_date.recurrence_rule, dtstart=start)
    closed = {date.fromisoformat(day) for day in session_date.excluded_dates}
    return [
        (session_date, moment, moment + length)
        for moment in rule.between(earliest - length, latest, inc=True)
        if moment.date() not in closed
    ]


def _date_clashes(
    mine: tuple[int, int | None, str],
    trainers: dict[int, str],
    start: datetime,
    end: datetime,
    other: Booked,
    travel: timedelta,
    other_start: datetime | None = None,
    other_end: datetime | None = None,
) -> list[Clash]:
    """How ``start``-``end`` for the group ``mine`` (its id, room and town), run by
    ``trainers``, clashes with ``other`` (or with its occurrence from ``other_start`` to
    ``other_end``)."""
    group_id, room_id, town_slug = mine
    other_start = other_start or other.starts_at
    other_end = other_end or other.ends_at

    def clash(kind: str, **names: str) -> Clash:
        return Clash(kind, other_start, other_end, other.id, group=other.group, **names)

    overlaps = other_start < end and start < other_end
    if overlaps and other.group_id == group_id:
        return [clash("group")]
    found = []
    if overlaps and room_id is not None and other.room_id == room_id:
        found.append(clash("room", where=other.where))
    near = other_start < end + travel and start - travel < other_end
    for trainer_id, name in other.trainers.items():
        if trainer_id not in trainers:
            continue
        if overlaps:
            found.append(clash("trainer", trainer=name))
        elif near and other.town_slug != town_slug:
            found.append(clash("travel", trainer=name, where=other.town))
    return found


def refuse_clashes(
    session: Session,
    group: Group,
    slots: Sequence[tuple[datetime, datetime]],
    *,
    force: bool = False,
    ignore: Iterable[int] = (),
) -> list[Clash]:
    """Take the room's and trainers' locks, then refuse (409 schedule_conflict) slots that
    clash; with ``force``, book anyway. Returns the clashes."""
    lock_room_and_trainers(session, group)
    found = clashes(session, group, slots, ignore=ignore)
    if found and not force:
        raise ScheduleConflict(errors={"clashes": [c.described() for c in found]})
    return found


def standing_clashes(
    session: Session, since: datetime, until: datetime
) -> list[tuple[Booked, Clash]]:
    """Every clash standing now between held dates (as after a forced booking), and with
    the trainers' unavailabilities, for dates starting from ``since`` until before
    ``until``: each date with what it clashes with, each pair once. Two queries."""
    travel = travel_time()
    dates = _booked(
        session,
        HELD_DATES.where(
            SessionDate.starts_at < until + travel, SessionDate.ends_at > since - travel
        ),
    )
    unavailable = _unavailabilities(session, since, until)
    found: list[tuple[Booked, Clash]] = []
    for index, one in enumerate(dates):
        mine = (one.group_id, one.room_id, one.town_slug)
        for other in dates[index + 1 :]:
            if other.starts_at >= one.ends_at + travel:
                break
            if since <= one.starts_at < until or since <= other.starts_at < until:
                found.extend(
                    (one, clash)
                    for clash in _date_clashes(
                        mine, one.trainers, one.starts_at, one.ends_at, other, travel
                    )
                )
        if not since <= one.starts_at < until:
            continue
        gaps = _unavailable_then(unavailable, one.trainers, one.starts_at, one.ends_at)
        found.extend((one, clash) for clash in gaps)
    return found


def lock_open_group(session: Session, group: Group) -> None:
    """Take the group's lock, then refuse (409) to change its schedule or venue if it is
    closed: its certificates were issued for them. Asked under the lock, which closing
    takes too."""
    lock_group(session, group)
    session.refresh(group, ["closed_at"])
    if group.closed_at is not None:
        raise GroupClosed()


def change_date_time(
    session: Session,
    session_date: SessionDate,
    starts_at: datetime,
    ends_at: datetime,
    *,
    force: bool = False,
) -> bool:
    """Move a date, refused if it clashes unless ``force``; tell its participants."""
    check_times(starts_at, ends_at)
    if not is_held(session_date):
        raise InvalidRequest(_l("Cette date a été annulée."))
    if (session_date.starts_at, session_date.ends_at) == (starts_at, ends_at):
        return False
    group = session_date.group
    lock_open_group(session, group)
    refuse_clashes(session, group, [(starts_at, ends_at)], force=force, ignore=[session_date.id])
    payload = {
        "session_date_id": session_date.id,
        "previous_starts_at": session_date.starts_at.isoformat(),
        "previous_ends_at": session_date.ends_at.isoformat(),
    }
    session_date.starts_at = starts_at
    session_date.ends_at = ends_at
    _mark_changed(session, group, [session_date])
    _tell(session, EmailKind.DATE_CHANGED, _concerned(session, group, session_date), payload)
    _tell_trainers(session, [_moved(session_date, payload)])
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
    _tell_trainers(session, [_date_change("relocated", d) for d in _coming(group, utcnow())])
    return True


def add_date(
    session: Session,
    group: Group,
    starts_at: datetime,
    ends_at: datetime,
    *,
    force: bool = False,
) -> SessionDate:
    """Add a date to a group, refused if it clashes unless ``force``; its participants are
    told, since they commit to every date."""
    return add_dates(session, group, [(starts_at, ends_at)], force=force)[0]


def add_dates(
    session: Session,
    group: Group,
    slots: Sequence[tuple[datetime, datetime]],
    *,
    force: bool = False,
) -> list[SessionDate]:
    """Add dates to a group, every one checked before any is written and refused if one
    clashes unless ``force``; each participant gets one email naming the first."""
    for starts_at, ends_at in slots:
        check_times(starts_at, ends_at)
    lock_open_group(session, group)
    refuse_clashes(session, group, slots, force=force)
    added = [SessionDate(group=group, starts_at=start, ends_at=end) for start, end in slots]
    session.add_all(added)
    session.flush()
    payload = {
        "session_date_id": added[0].id,
        "starts_at": added[0].starts_at.isoformat(),
        "ends_at": added[0].ends_at.isoformat(),
        "session_date_ids": [d.id for d in added],
    }
    _tell(session, EmailKind.DATE_CHANGED, _concerned(session, group), payload)
    _tell_trainers(session, [_date_change("added", d) for d in added])
    return added


# Two years, in days: the farthest dates move at once, shifted or copied.
LONGEST_SHIFT_DAYS = 730


def shifted(moment: datetime, days: int) -> datetime:
    """``moment`` moved by whole ``days`` on the Brussels wall clock: a date moved across a
    change of the clocks keeps its hour."""
    return moment.astimezone(BRUSSELS) + timedelta(days=days)


def shift_groups(
    session: Session, groups: Sequence[Group], days: int, *, force: bool = False
) -> list[Group]:
    """Move every held date of ``groups`` by ``days`` (same wall-clock times), all checked
    for clashes before any moves; each date's SEQUENCE rises once and each participant gets
    one email for the whole shift. Returns the groups whose dates moved."""
    # The groups keep their places among themselves: only others' dates can clash.
    moving = [d.id for group in groups for d in group.dates]
    moves: list[tuple[Group, list[SessionDate], list[tuple[datetime, datetime]]]] = []
    # In id order, as every other lock of several groups.
    for group in sorted(groups, key=lambda g: g.id):
        held = held_dates(group)
        if not held:
            continue
        lock_open_group(session, group)
        slots = [(shifted(d.starts_at, days), shifted(d.ends_at, days)) for d in held]
        refuse_clashes(session, group, slots, force=force, ignore=moving)
        moves.append((group, held, slots))
    trainer_news = []
    for group, held, slots in moves:
        for session_date, (starts_at, ends_at) in zip(held, slots, strict=True):
            before = _times(session_date, "previous_")
            session_date.starts_at, session_date.ends_at = starts_at, ends_at
            trainer_news.append(_moved(session_date, before))
        _mark_changed(session, group, held)
        payload = {"shifted_days": days, "session_date_ids": [d.id for d in held]}
        _tell(session, EmailKind.DATE_CHANGED, _concerned(session, group), payload)
        promote_waitlisted(session, group)
    # One email per trainer for the whole shift, however many of their groups it moved.
    _tell_trainers(session, trainer_news)
    return [group for group, _held, _slots in moves]


class DateAnnounced(DomainError):
    """A date someone may have been told of is called off, never deleted."""

    code = "date_announced"
    default_message = _l(
        "Des participants ont pu voir cette date : annulez-la plutôt, ils en seront prévenus."
    )


def was_announced(session: Session, session_date: SessionDate) -> bool:
    """Whether anyone may know of the date: someone registered in its group, or an email
    went to one of its participants, since it was added."""
    since = session_date.created_at
    members = select(Registration.id).where(Registration.group_id == session_date.group_id)
    registered = select(Registration.id).where(
        Registration.group_id == session_date.group_id, Registration.created_at >= since
    )
    queued = select(OutboxMessage.id).where(
        OutboxMessage.registration_id.in_(members), OutboxMessage.created_at >= since
    )
    logged = select(EmailMessage.id).where(
        EmailMessage.registration_id.in_(members), EmailMessage.created_at >= since
    )
    return bool(session.scalar(select(or_(registered.exists(), queued.exists(), logged.exists()))))


def delete_mistaken_date(session: Session, session_date: SessionDate) -> None:
    """Delete a date typed by mistake, while nobody may have been told of it; otherwise
    refused (409 date_announced): it must be called off."""
    lock_open_group(session, session_date.group)
    if was_announced(session, session_date):
        raise DateAnnounced()
    # Its trainers may have been told of it, and have it in their feed.
    _tell_trainers(session, [_date_change("removed", session_date)])
    session.delete(session_date)
    session.flush()


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
    _tell_trainers(session, [_date_change("cancelled", session_date)])
    # So may a first date called off: the group then starts later.
    promote_waitlisted(session, group)
    return True


def cancel_group(session: Session, group: Group, *, now: datetime | None = None) -> bool:
    """Call a whole group off (idempotent); tell its participants."""
    if group.cancelled_at is not None:
        return False
    lock_open_group(session, group)
    held = held_dates(group)
    group.cancelled_at = now or utcnow()
    _mark_changed(session, group, group.dates)
    _tell(session, EmailKind.GROUP_CANCELLED, _concerned(session, group), {})
    _tell_trainers(session, [_date_change("cancelled", d) for d in held])
    return True


def change_trainers(
    session: Session, group: Group, trainers: Sequence[Trainer], *, now: datetime | None = None
) -> bool:
    """Have ``trainers`` run the group; those it gains are told of its coming held dates, those
    it loses that they no longer run them. The caller checks the dates for clashes and bumps
    the group's revision."""
    before = {t.id: t for t in group.trainers}
    after = {t.id: t for t in trainers}
    if before.keys() == after.keys():
        return False
    group.trainers = list(trainers)
    coming = _coming(group, now or utcnow())
    news = []
    for change, told in (
        ("added", after.keys() - before.keys()),
        ("removed", before.keys() - after.keys()),
    ):
        who = [after.get(i) or before[i] for i in sorted(told)]
        news.extend(_date_change(change, d, trainers=who) for d in coming)
    _tell_trainers(session, news)
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


def announce_to_trainers(session: Session, event: Event, *, now: datetime | None = None) -> None:
    """Tell the trainers of a draft just published of its coming held dates: until then they
    were in no feed of theirs, and nobody heard of them."""
    moment = now or utcnow()
    _tell_trainers(
        session, [_date_change("added", d) for g in event.groups for d in _coming(g, moment)]
    )


def _coming(group: Group, now: datetime) -> list[SessionDate]:
    return [d for d in held_dates(group) if d.ends_at > now]


@dataclass(frozen=True)
class TrainerNews:
    """One change to one date, for the trainers it concerns: what changed, the date as it
    stands, and its times before a move."""

    trainers: list[Trainer]
    change: dict[str, Any]


def _times(session_date: SessionDate, prefix: str = "") -> dict[str, str]:
    return {
        f"{prefix}starts_at": session_date.starts_at.isoformat(),
        f"{prefix}ends_at": session_date.ends_at.isoformat(),
    }


def _date_change(
    change: str, session_date: SessionDate, *, trainers: list[Trainer] | None = None, **more: str
) -> TrainerNews:
    """``change`` (added, moved, relocated, cancelled, removed) to a date, for the group's
    trainers or ``trainers``; nobody hears of a draft's dates, which are in no trainer's feed."""
    group = session_date.group
    told = group.trainers if trainers is None else trainers
    if not group.event.published:
        told = []
    return TrainerNews(
        list(told),
        {"change": change, "group_id": group.id, "session_date_id": session_date.id}
        | _times(session_date)
        | more,
    )


def _moved(session_date: SessionDate, payload: dict[str, Any]) -> TrainerNews:
    previous = {k: payload[k] for k in ("previous_starts_at", "previous_ends_at")}
    return _date_change("moved", session_date, **previous)


def _tell_trainers(session: Session, news: list[TrainerNews]) -> None:
    """One email per trainer listing every change ``news`` brings to their dates."""
    changes: dict[int, list[dict[str, Any]]] = {}
    for item in news:
        for trainer in item.trainers:
            changes.setdefault(trainer.id, []).append(item.change)
    kind = EmailKind.TRAINER_DATES_CHANGED
    emails = [Email(kind, payload={"trainer_id": i, "changes": c}) for i, c in changes.items()]
    queue_emails(session, emails)
