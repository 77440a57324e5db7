"""Which dates a registration is expected at, which were held or called off, whether its
participant completed the training, and whether presence may be recorded on a date: from the
date's own day, for a month, then only by an administrator.

A registration records what it committed to: a chosen date (one-date events) or none, which
means every date of its group (the two-date rule). A date is held unless it, or its whole
group, was called off. Everything that asks these questions — the roster, the dashboard,
exports, emails, reminders, feeds and schedule changes — asks this module.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from shared.database import utcnow
from shared.errors import DateCalledOff, Forbidden, InvalidRequest
from shared.i18n import BRUSSELS
from shared.models import Group, Registration, RegistrationStatus, SessionDate

# Days after a date's own day during which its organisers may still record presence; later,
# the presence reported to funders is settled and only an administrator changes it.
PRESENCE_WINDOW_DAYS = 30


def is_held(session_date: SessionDate) -> bool:
    """Whether the date takes place: neither it nor its group was called off."""
    return session_date.cancelled_at is None and not session_date.group.is_cancelled


def held_dates(group: Group) -> list[SessionDate]:
    """The group's dates that take place, in order."""
    return [d for d in group.dates if is_held(d)]


def first_held_date(group: Group) -> SessionDate | None:
    """The group's earliest date that takes place."""
    return next(iter(held_dates(group)), None)


def last_held_date(group: Group) -> SessionDate | None:
    """The group's last date that takes place: the group is over once it has ended."""
    held = held_dates(group)
    return held[-1] if held else None


def groups_over_at() -> Subquery:
    """When each group is over, in SQL (``group_id``, ``over_at``): the end of its last held
    date as :func:`last_held_date` says, or of its last date if every one was called off.
    Recurring office hours are never over."""
    held_end = case((held_clause(), SessionDate.ends_at))
    return (
        select(
            SessionDate.group_id,
            func.coalesce(func.max(held_end), func.max(SessionDate.ends_at)).label("over_at"),
        )
        .join(SessionDate.group)
        .where(SessionDate.recurrence_rule.is_(None))
        .group_by(SessionDate.group_id)
        .subquery()
    )


def has_started(group: Group, now: datetime) -> bool:
    """Whether the group's first held date has begun: from then on it takes nobody new."""
    first = first_held_date(group)
    return first is not None and now >= first.starts_at


def scheduled_dates(registration: Registration) -> list[SessionDate]:
    """The dates the registration concerns, held or called off: what its emails and calendar
    show, a called-off date marked as such."""
    if registration.session_date is not None:
        return [registration.session_date]
    return list(registration.group.dates)


def expected_dates(registration: Registration) -> list[SessionDate]:
    """The held dates the participant is expected at."""
    return [d for d in scheduled_dates(registration) if is_held(d)]


def has_begun(registration: Registration, now: datetime) -> bool:
    """Whether the first held date expected of the registration has begun."""
    expected = expected_dates(registration)
    return bool(expected) and now >= expected[0].starts_at


def concerns(registration: Registration, session_date: SessionDate) -> bool:
    """Whether the date is one of the registration's: of its group, and chosen if one was."""
    return session_date.group_id == registration.group_id and (
        registration.session_date_id is None or registration.session_date_id == session_date.id
    )


def concerns_clause(session_date_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """:func:`concerns` in SQL, for registrations of the date's group."""
    return or_(
        Registration.session_date_id.is_(None), Registration.session_date_id == session_date_id
    )


def held_clause(
    session_date: type[SessionDate] = SessionDate, group: type[Group] = Group
) -> ColumnElement[bool]:
    """:func:`is_held` in SQL, for a query joining the date's group (or aliases of both)."""
    return and_(session_date.cancelled_at.is_(None), group.cancelled_at.is_(None))


def completed(registration: Registration, presence: Mapping[int, bool | None]) -> bool:
    """Whether the participant was present on every held date expected of them.

    ``presence`` maps a date's id to its mark: True (present), False (absent), None or
    missing (not marked yet). A registration expected at no date has completed nothing.
    """
    expected = expected_dates(registration)
    return bool(expected) and all(presence.get(d.id) is True for d in expected)


def present_dates(
    registration: Registration, presence: Mapping[int, bool | None]
) -> list[SessionDate]:
    """The held dates expected of the participant at which they were marked present."""
    return [d for d in expected_dates(registration) if presence.get(d.id) is True]


def attended(registration: Registration, presence: Mapping[int, bool | None]) -> bool:
    """Whether the participant was present on at least one held date expected of them."""
    return bool(present_dates(registration, presence))


def confirmed_with_presence(group: Group) -> Select[tuple[Registration]]:
    """The query of the group's confirmed registrations with their recorded presence."""
    return (
        select(Registration)
        .where(
            Registration.group_id == group.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .options(selectinload(Registration.attendances))
    )


def presence_marks(registration: Registration) -> dict[int, bool]:
    """The registration's recorded presence, by date id."""
    return {a.session_date_id: a.present for a in registration.attendances}


def check_presence_allowed(
    registration: Registration,
    session_date: SessionDate,
    *,
    now: datetime | None = None,
    by_admin: bool = False,
) -> None:
    """Refuse to record presence unless the participant is confirmed, the date is one of
    theirs that takes place (409 for a called-off date) and it is within its window."""
    check_expected(registration, session_date)
    check_date_open(session_date, now=now or utcnow(), by_admin=by_admin)


class Unexpected(enum.Enum):
    """Why a participant's presence cannot be recorded on a date."""

    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"
    ANOTHER_GROUP = "another_group"
    ANOTHER_DATE = "another_date"  # of their group, but they chose another


def unexpected(registration: Registration, session_date: SessionDate) -> Unexpected | None:
    """Why the participant is not expected on the date, or None when they are: confirmed,
    and the date is one of theirs."""
    if registration.status is RegistrationStatus.CANCELLED:
        return Unexpected.CANCELLED
    if registration.status is RegistrationStatus.WAITLISTED:
        return Unexpected.WAITLISTED
    if session_date.group_id != registration.group_id:
        return Unexpected.ANOTHER_GROUP
    if not concerns(registration, session_date):
        return Unexpected.ANOTHER_DATE
    return None


def check_expected(registration: Registration, session_date: SessionDate) -> None:
    """The participant's half of :func:`check_presence_allowed`: refuse unless they are
    expected on the date (:func:`unexpected`)."""
    reason = unexpected(registration, session_date)
    if reason is Unexpected.ANOTHER_GROUP:
        raise InvalidRequest(errors={"date": [_l("Cette date n'est pas celle de son groupe.")]})
    if reason is Unexpected.ANOTHER_DATE:
        raise InvalidRequest(
            errors={"date": [_l("Cette personne n'est pas inscrite à cette date.")]}
        )
    if reason is not None:
        raise InvalidRequest(_l("Seule une personne confirmée peut être marquée présente."))


def check_date_open(session_date: SessionDate, *, now: datetime, by_admin: bool) -> None:
    """The date's half of :func:`check_presence_allowed`: it takes place (409 otherwise) and
    is within its window."""
    if not is_held(session_date):
        raise DateCalledOff()
    check_presence_window(session_date, now=now, by_admin=by_admin)


def check_presence_window(session_date: SessionDate, *, now: datetime, by_admin: bool) -> None:
    """Refuse presence before the date's day in Brussels (422), and more than
    :data:`PRESENCE_WINDOW_DAYS` days after it unless an administrator records it (403)."""
    day = session_date.starts_at.astimezone(BRUSSELS).date()
    today = now.astimezone(BRUSSELS).date()
    if today < day:
        raise InvalidRequest(
            errors={
                "date": [_l("La présence ne peut être notée qu'à partir du jour de la séance.")]
            }
        )
    if (today - day).days > PRESENCE_WINDOW_DAYS and not by_admin:
        # 403, not 422: the request is sound and an administrator may make it; what is
        # missing is the right of the one asking.
        raise Forbidden(
            _l(
                "Plus de %(days)s jours ont passé depuis cette séance : seul un administrateur "
                "peut encore y noter la présence.",
                days=PRESENCE_WINDOW_DAYS,
            )
        )


def presence_window_closes(session_date: SessionDate) -> datetime:
    """When organisers stop recording presence on the date: the end, in Brussels, of the
    last day :func:`check_presence_window` lets them."""
    day = session_date.starts_at.astimezone(BRUSSELS).date()
    return datetime.combine(day + timedelta(days=PRESENCE_WINDOW_DAYS + 1), time(), BRUSSELS)


def choose_date(group: Group, date_id: int | None) -> SessionDate:
    """The held date of the group a one-date registration chooses; 422 naming the field."""
    chosen = next((d for d in held_dates(group) if d.id == date_id), None)
    if chosen is None:
        raise InvalidRequest(errors={"date": [_l("Choisissez une des dates de ce groupe.")]})
    return chosen
