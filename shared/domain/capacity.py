"""Places in a group: the lock that serialises changes, the counts, the waiting list."""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, func, inspect, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from shared.database import busy_when_locked, transaction_list, utcnow
from shared.domain.attendance import expected_dates, has_begun
from shared.errors import AlreadyRegistered, NotFound
from shared.models import EmailKind, Group, Registration, RegistrationStatus
from shared.models.registrations import ACTIVE_STATUSES
from shared.observability import GROUP_LOCK_HELD, GROUP_LOCK_WAIT
from shared.outbox import queue_email

_LOCKS_TAKEN = "group_locks_taken"

# Built once: these run in every registration, most of them under the group's lock.
_GROUPS = Group.__table__
_BUMP_REVISION = (
    update(_GROUPS)
    .where(_GROUPS.c.id == bindparam("group_id"))
    .values(revision=_GROUPS.c.revision + 1)
    .returning(_GROUPS.c.revision, _GROUPS.c.capacity, _GROUPS.c.updated_at)
)
_HOLDERS = aliased(Registration, name="holders")
# Asked through the event's unique index of active addresses: the group's own count is not
# slowed by it.
_ADDRESSES_TAKEN = (
    select(func.count(_HOLDERS.id))
    .where(
        _HOLDERS.event_id == bindparam("event_id"),
        _HOLDERS.email_normalized.in_(bindparam("addresses", expanding=True)),
        _HOLDERS.status.in_(ACTIVE_STATUSES),
    )
    .scalar_subquery()
)
_STANDING = select(
    func.count(Registration.id).filter(Registration.status == RegistrationStatus.CONFIRMED),
    func.coalesce(
        func.max(Registration.waitlist_position).filter(
            Registration.status == RegistrationStatus.WAITLISTED
        ),
        0,
    ),
    _ADDRESSES_TAKEN,
).where(Registration.group_id == bindparam("group_id"), Registration.status.in_(ACTIVE_STATUSES))


@dataclass(frozen=True)
class Standing:
    """Where a group stands: its confirmed participants and the last waiting-list position;
    and how many of the addresses asked about already hold a place in its event."""

    confirmed: int
    last_position: int
    addresses_taken: int


def lock_group(session: Session, group: Group) -> None:
    """Take the group's row lock for the rest of the transaction and mark the group changed.

    Every change to a group's confirmed places or waiting list happens under this lock, so
    counting then inserting cannot race. Writing the row takes the lock and bumps the
    revision that cached feeds are keyed on in one statement; the wait is bounded by the
    connection's lock timeout (on SQLite the transaction already holds the write lock).
    The wait, and the time held until the transaction ends, are measured.
    """
    asked = time.perf_counter()
    with busy_when_locked():
        bump_revision(session, group)
    taken = time.perf_counter()
    GROUP_LOCK_WAIT.observe(taken - asked)
    transaction_list(session, _LOCKS_TAKEN, committed=_released, rolled_back=_released).append(
        taken
    )


def _released(taken: list[float]) -> None:
    # Every lock of a transaction is released when it ends: measured from the first.
    GROUP_LOCK_HELD.observe(time.perf_counter() - taken[0])


def standing(session: Session, group: Group, addresses: Sequence[str] = ()) -> Standing:
    """The group's confirmed count and last waiting-list position, and how many of
    ``addresses`` (normalised) hold an active registration in its event, in one statement:
    under the group's lock, each statement more is a round trip every other registration
    waits for."""
    session.flush()
    asked = {"group_id": group.id, "event_id": group.event_id, "addresses": list(addresses)}
    return Standing(*session.connection().execute(_STANDING, asked).one())


def confirmed_count(session: Session, group: Group) -> int:
    """How many confirmed registrations the group holds."""
    return standing(session, group).confirmed


def places_left(group: Group, confirmed: int | None = None) -> int | None:
    """Free places in the group, or None for a group without a limit.

    ``confirmed`` is a count taken under the group's lock or from a roster; without it, the
    count loaded with the group (listings, feeds) is used.
    """
    if group.capacity is None:
        return None
    taken = group.confirmed_count if confirmed is None else confirmed
    return max(group.capacity - taken, 0)


def has_free_place(session: Session, group: Group) -> bool:
    """Whether one more participant can be confirmed now (under the group's lock)."""
    return places_left(group, confirmed_count(session, group)) != 0


def awaits_confirmation(registration: Registration) -> bool:
    """Whether the registration still awaits confirmation from its email: until its
    ``confirm_by`` its place, or its waiting position, is held only provisionally."""
    return registration.confirm_by is not None and registration.email_confirmed_at is None


def awaiting_clause() -> ColumnElement[bool]:
    """:func:`awaits_confirmation` in SQL, for registrations holding a place or waiting."""
    return and_(
        Registration.status.in_(ACTIVE_STATUSES),
        Registration.confirm_by.is_not(None),
        Registration.email_confirmed_at.is_(None),
    )


def lapsed_clause(now: datetime) -> ColumnElement[bool]:
    """Registrations holding a place or waiting whose time to confirm from their email ran
    out by ``now``."""
    return and_(awaiting_clause(), Registration.confirm_by <= now)


def awaiting_confirmation(session: Session, group: Group) -> int:
    """How many of the group's registrations, holding a place or waiting, still await
    confirmation from their email."""
    return session.scalar(
        select(func.count()).where(Registration.group_id == group.id, awaiting_clause())
    )


def holds_place(registration: Registration) -> bool:
    """Whether the registration counts as a participant: confirmed, and confirmed from its
    email where the event asked. What calendars, certificates and exports go by; a place
    awaiting confirmation still counts against the capacity until it is released."""
    return registration.status is RegistrationStatus.CONFIRMED and not awaits_confirmation(
        registration
    )


def release_lapsed(session: Session, group: Group, now: datetime) -> list[Registration]:
    """Cancel the group's registrations not confirmed from their email by their deadline and
    let the waiting list move on; return those released. Call under the group's lock."""
    lapsed = list(
        session.scalars(
            select(Registration).where(Registration.group_id == group.id, lapsed_clause(now))
        )
    )
    for registration in lapsed:
        registration.status = RegistrationStatus.CANCELLED
        registration.waitlist_position = None
        registration.cancelled_at = now
    if lapsed:
        session.flush()
        promote_waitlisted(session, group, now=now)
        close_waitlist_gaps(session, group)
    return lapsed


def confirm(registration: Registration) -> None:
    """Give the registration its place: confirmed, off the waiting list."""
    registration.status = RegistrationStatus.CONFIRMED
    registration.waitlist_position = None


def waiting_list(session: Session, group: Group) -> list[Registration]:
    """The group's waitlisted registrations, first come first."""
    return list(
        session.scalars(
            select(Registration)
            .where(
                Registration.group_id == group.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(Registration.waitlist_position, Registration.id)
        )
    )


def admit(
    session: Session, group: Group, newcomers: list[Registration], now: datetime
) -> list[int | None]:
    """Confirm newcomers in turn while places remain and nobody waits, then put the others
    last on the waiting list, in order; return the places free before each (None: no limit).
    Call under the group's lock.

    409, changing nothing, when one of their addresses already holds an active registration
    in the event, or two of them share one. Where the event asks for confirmation by email,
    places not confirmed in time are released first.
    """
    if group.event.confirmation_hours is not None:
        release_lapsed(session, group, now)
    addresses = [registration.email_normalized for registration in newcomers]
    counts = standing(session, group, addresses)
    if counts.addresses_taken or len(set(addresses)) < len(addresses):
        raise AlreadyRegistered()
    if counts.last_position and places_left(group, counts.confirmed) != 0:
        # A place freed while the waiting list could not move goes to those waiting first.
        promote_waitlisted(session, group)
        counts = standing(session, group, addresses)
    confirmed, last_position = counts.confirmed, counts.last_position
    free_before = []
    for registration in newcomers:
        free = places_left(group, confirmed)
        # Nobody takes a free place ahead of those already waiting for one.
        if free == 0 or last_position:
            last_position += 1
            registration.status = RegistrationStatus.WAITLISTED
            registration.waitlist_position = last_position
        else:
            confirm(registration)
            confirmed += 1
        free_before.append(free)
    return free_before


def close_waitlist_gaps(session: Session, group: Group) -> None:
    """Renumber the waiting list 1..N in its current order."""
    for position, registration in enumerate(waiting_list(session, group), start=1):
        registration.waitlist_position = position
    session.flush()


def promotable(registration: Registration, now: datetime) -> bool:
    """Whether a waitlisted registration may still be given a freed place: while a date it
    expects is held and none has begun, since whoever took it later would have missed one."""
    return bool(expected_dates(registration)) and not has_begun(registration, now)


class Place(enum.StrEnum):
    """Where a participant stands with their place."""

    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"  # a place held until confirmed from the email, or released
    WAITING = "waiting"  # on the waiting list, and a freed place would still go to them
    NO_PLACE = "no_place"  # on the waiting list, but no place can come any more
    CANCELLED = "cancelled"


def place_of(registration: Registration, now: datetime) -> Place:
    """Where the participant stands at ``now``: what their pages and calendar tell them."""
    if registration.status is RegistrationStatus.CONFIRMED:
        return Place.UNCONFIRMED if awaits_confirmation(registration) else Place.CONFIRMED
    if registration.status is RegistrationStatus.WAITLISTED:
        return Place.WAITING if promotable(registration, now) else Place.NO_PLACE
    return Place.CANCELLED


def promote_waitlisted(
    session: Session, group: Group, *, now: datetime | None = None
) -> list[Registration]:
    """Confirm waitlisted registrations, first come first, while places remain, skipping
    those no longer :func:`promotable`; tell each; return them. An organiser may still promote
    anyone by hand."""
    now = now or utcnow()
    free = places_left(group, confirmed_count(session, group))
    waiting = [r for r in waiting_list(session, group) if promotable(r, now)]
    promoted = waiting if free is None else waiting[:free]
    for registration in promoted:
        confirm(registration)
    session.flush()
    if promoted:
        close_waitlist_gaps(session, group)
    announce_promotions(session, promoted)
    return promoted


def announce_promotions(session: Session, promoted: list[Registration]) -> None:
    """Tell each newly confirmed participant that a place opened for them."""
    for registration in promoted:
        queue_email(session, EmailKind.PROMOTED, registration=registration)


def bump_revision(session: Session, group: Group) -> None:
    """Mark the group changed for everything that caches what it shows (calendar feeds).

    The group's capacity is read back from the written row: under the lock this write takes,
    it is the one every count is compared with, even if an organiser changed it a moment ago.
    """
    written = session.connection().execute(_BUMP_REVISION, {"group_id": group.id}).one_or_none()
    if written is None:
        raise NotFound()
    state = inspect(group)
    for name in ("revision", "capacity", "updated_at"):
        # A change made before the lock and not flushed yet is the caller's, and stays.
        if not state.attrs[name].history.has_changes():
            set_committed_value(group, name, getattr(written, name))
