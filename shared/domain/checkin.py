"""The personal check-in code shown at the door, and what a scan of it answers.

A confirmed registration's code is derived from its id, a version and the secret key, under a
purpose of its own (``checkin``): no table holds it, it opens neither the manage page nor the
calendar feed, and renewing it (a new version) makes the previous one answer that it was
replaced. A scanning phone keeps, for offline use, only the SHA-256 digests of a date's codes
and first names; whether a mark may be recorded is the roster's rule
(:func:`shared.domain.attendance.check_presence_allowed`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from shared.domain.attendance import Unexpected, unexpected
from shared.domain.listing import local_midnight
from shared.i18n import BRUSSELS
from shared.models import Registration, RegistrationStatus, SessionDate
from shared.tokens import (
    Standing,
    digest,
    registration_id_of,
    registration_token,
    secret_key,
    standing_of,
)

PURPOSE = "checkin"
# Marks one request may carry: a door's offline queue for a day fits many times over.
MAX_MARKS = 500
# A phone's clock may run a little ahead of the server's.
CLOCK_ALLOWANCE = timedelta(minutes=5)
# Longer text is no code: refused by the schema before any lookup.
MAX_CODE_LENGTH = 80


class Outcome(enum.StrEnum):
    """What a scan or a mark answers."""

    PRESENT = "present"  # recorded now
    ALREADY_RECORDED = "already_recorded"
    WAITLISTED = "waitlisted"
    ELSEWHERE = "elsewhere"  # another group or date of the event
    CANCELLED = "cancelled"
    REPLACED = "replaced"  # a code renewed since
    UNKNOWN = "unknown"  # forged, truncated, erased, or of another event
    REFUSED_TIME = "refused_time"  # marked in the future or before the date's day
    INVALID = "invalid"  # a mark not of the expected form


class Holder(Protocol):
    """What the rules of a mark read of its holder: a registration, or the row of these
    columns that a batch of marks reads instead of hundreds of objects."""

    id: int
    group_id: int
    session_date_id: int | None
    status: RegistrationStatus
    anonymised_at: datetime | None
    checkin_code_version: int


# Why a code recorded nothing, as the organiser reads it on the field of the mark.
REFUSALS: dict[Outcome, LazyString] = {
    Outcome.WAITLISTED: _l("Cette personne est sur la liste d'attente."),
    Outcome.ELSEWHERE: _l("Cette personne est inscrite dans un autre groupe ou à une autre date."),
    Outcome.CANCELLED: _l("Cette inscription est annulée."),
    Outcome.REPLACED: _l(
        "Ce code a été remplacé par un nouveau : demandez le code reçu en dernier."
    ),
    Outcome.UNKNOWN: _l("Code inconnu pour cet événement."),
}
FUTURE_TIME = _l("Ce moment est dans le futur.")
BEFORE_DATE = _l("Ce moment précède le jour de la séance.")


def checkin_code(registration: Registration) -> str:
    """The registration's current check-in code, derived under the secret key."""
    return registration_token(
        secret_key(), PURPOSE, registration.id, registration.checkin_code_version
    )


def shows_code(registration: Registration) -> bool:
    """Whether the participant is given their code to show: confirmed, not erased."""
    return (
        registration.status is RegistrationStatus.CONFIRMED and registration.anonymised_at is None
    )


def code_digest(code: str) -> str:
    """The SHA-256 hex digest by which a phone recognises a code offline."""
    return digest(code)


def holder_id(code: str) -> int | None:
    """The registration id a code names, or None for text of no code's form."""
    return registration_id_of(code)


def code_standing(
    registration: Holder | None, code: str, *, secret: str | None = None
) -> Outcome | None:
    """None when ``code`` is the registration's current code; REPLACED for an earlier one;
    UNKNOWN for anything else, an erased registration's code included. A batch of codes
    passes the ``secret`` key it read once."""
    if registration is None or registration.anonymised_at is not None:
        return Outcome.UNKNOWN
    standing = standing_of(
        code, PURPOSE, registration.id, registration.checkin_code_version, secret=secret
    )
    if standing is Standing.CURRENT:
        return None
    return Outcome.REPLACED if standing is Standing.REPLACED else Outcome.UNKNOWN


def renew_code(registration: Registration) -> None:
    """Give the registration a new check-in code; the previous one answers REPLACED."""
    registration.checkin_code_version += 1


# The roster's reasons (shared.domain.attendance.unexpected), as a scan answers them.
_UNEXPECTED = {
    Unexpected.CANCELLED: Outcome.CANCELLED,
    Unexpected.WAITLISTED: Outcome.WAITLISTED,
    Unexpected.ANOTHER_GROUP: Outcome.ELSEWHERE,
    Unexpected.ANOTHER_DATE: Outcome.ELSEWHERE,
}


def standing_on(registration: Holder, session_date: SessionDate) -> Outcome | None:
    """Why the holder's presence cannot be recorded on this date (waiting list, cancelled,
    another group or date), or None when the date is one of their confirmed ones: the
    roster's rule, told as a scan's outcome."""
    reason = unexpected(registration, session_date)
    return None if reason is None else _UNEXPECTED[reason]


def time_refusals(
    session_date: SessionDate, now: datetime
) -> Callable[[datetime], LazyString | None]:
    """The rule of a mark's local time on the date, for marks sent ``now``: it tells why a
    moment cannot be that of presence, later than now (give or take a phone's clock) or
    before the date's own day in Brussels, else None. Its bounds are reckoned once for a
    whole queue of marks."""
    latest = now + CLOCK_ALLOWANCE
    # Midnight opening the date's day in Brussels (always a wall-clock time that exists):
    # a moment before it falls on an earlier Brussels day.
    day_opens = local_midnight(session_date.starts_at.astimezone(BRUSSELS).date())

    def refusal(marked_at: datetime) -> LazyString | None:
        if marked_at > latest:
            return FUTURE_TIME
        if marked_at < day_opens:
            return BEFORE_DATE
        return None

    return refusal
