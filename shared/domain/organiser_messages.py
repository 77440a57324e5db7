"""Messages organisers write to the participants of an event: who they reach, what each
recipient reads (placeholders filled, in their language), when they leave, and how.

A message leaves once: :func:`release` fixes its recipients (those the audience selects at
that moment) and records one outbox row per recipient, each in one INSERT … SELECT, without
taking any group's lock; the notifications worker sends the copies. A message at an offset
from its group's first or last held date follows the dates: its moment is computed again
each time it is asked for, and a called-off group's message never leaves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session, selectinload

from shared.database import utcnow
from shared.domain.attendance import (
    concerns_clause,
    expected_dates,
    first_held_date,
    held_dates,
    last_held_date,
)
from shared.domain.registrations import CONSENT_VERSION, PAPER_CONSENT_VERSION
from shared.errors import DomainError, InvalidRequest
from shared.i18n import BRUSSELS, DEFAULT_LANGUAGE, format_day, format_hours
from shared.links import manage_page, personal_feed
from shared.models import (
    Attendance,
    EmailKind,
    Event,
    Group,
    MessageRecipient,
    MessageState,
    OrganiserMessage,
    Registration,
    RegistrationStatus,
    SendMode,
    SessionDate,
)
from shared.models.registrations import ACTIVE_STATUSES
from shared.outbox import queue_selected

SUBJECT_MAX = 200
BODY_MAX = 20_000
# What a placeholder may name, each filled per recipient by :func:`placeholder_values`.
PLACEHOLDERS = ("first_name", "group", "next_date", "venue", "manage_link", "feed_link")
# A name between braces: no nested quantifier, so its time is linear in the text's length.
PLACEHOLDER = re.compile(r"\{([^{}\s]{1,40})\}")
# How long after the event's last date a message may still be scheduled.
LATEST_AFTER_LAST_DATE = timedelta(days=90)
# Moments this close to now count as now: the form was filled in a minute ago.
PAST_GRACE = timedelta(minutes=1)
SOURCES = ("any", "by_hand", "online")
# Registrations added by hand carry the paper form's consent version.
_PAPER_PREFIX = PAPER_CONSENT_VERSION.removesuffix(CONSENT_VERSION)


class NotScheduled(DomainError):
    code = "not_scheduled"
    default_message = _l("Ce message est déjà parti ou a été retiré : il ne peut plus changer.")


class TooManyMessages(DomainError):
    status = 429
    code = "too_many_messages"
    default_message = _l(
        "Vous avez écrit beaucoup de messages en peu de temps : attendez avant d'en écrire "
        "un autre."
    )


@dataclass(frozen=True)
class Audience:
    """Who a message reaches: the event's active registrations of these groups (all when
    none), in these statuses, present on or absent from a date, added by hand or online."""

    group_ids: tuple[int, ...] = ()
    statuses: tuple[RegistrationStatus, ...] = ACTIVE_STATUSES
    present_on: int | None = None
    absent_from: int | None = None
    source: str = "any"

    def as_json(self) -> dict[str, Any]:
        """The audience as the message row stores it."""
        return {
            "groups": list(self.group_ids),
            "statuses": [status.value for status in self.statuses],
            "present_on": self.present_on,
            "absent_from": self.absent_from,
            "source": self.source,
        }

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Audience:
        """The audience a message row stores."""
        return cls(
            tuple(stored.get("groups") or ()),
            tuple(RegistrationStatus(s) for s in stored.get("statuses") or ()),
            stored.get("present_on"),
            stored.get("absent_from"),
            stored.get("source") or "any",
        )


@dataclass(frozen=True)
class Example:
    """A message as one recipient reads it."""

    first_name: str
    subject: str
    body: str


@dataclass(frozen=True)
class Preview:
    """How many recipients read the message in each language, and an example in each."""

    total: int
    counts: dict[str, int]
    examples: dict[str, Example]


# --- texts -----------------------------------------------------------------------------------


def unknown_placeholders(text: str) -> list[str]:
    """The names between braces in ``text`` that are no placeholder, in order, once each."""
    names = (found.group(1) for found in PLACEHOLDER.finditer(text))
    return list(dict.fromkeys(name for name in names if name not in PLACEHOLDERS))


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value."""
    return PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), text)


def text_language(texts: Mapping[str, Any], language: str) -> str:
    """The language a reader of ``language`` gets the message in: theirs if it was written
    in it, else French."""
    return language if texts.get(language) else DEFAULT_LANGUAGE


def placeholder_values(registration: Registration, now: datetime) -> dict[str, str]:
    """What each placeholder says to this registration's participant, in the current
    language."""
    group = registration.group
    upcoming = [d for d in expected_dates(registration) if d.ends_at > now]
    next_date = (
        f"{format_day(upcoming[0].starts_at)}, "
        f"{format_hours(upcoming[0].starts_at, upcoming[0].ends_at)}"
        if upcoming
        else "—"
    )
    return {
        "first_name": registration.first_name,
        "group": group.name,
        "next_date": next_date,
        "venue": f"{group.venue_name}, {group.address}",
        "manage_link": manage_page(registration.manage_token),
        "feed_link": personal_feed(registration.calendar_token),
    }


def written_for(
    message: OrganiserMessage, registration: Registration, language: str, now: datetime
) -> tuple[str, str]:
    """The subject and body the registration's participant reads, in ``language``."""
    text = message.text_in(language)
    with force_locale(language):
        values = placeholder_values(registration, now)
    return fill(text["subject"], values), fill(text["body"], values)


# --- the audience ----------------------------------------------------------------------------


def audience_query(event_id: int, audience: Audience) -> Select[tuple[int, int, int, str]]:
    """The registrations the audience selects now (id, group, event, language): active, not
    anonymised, of groups that were not called off."""
    query = (
        select(Registration.id, Registration.group_id, Registration.event_id, Registration.language)
        .join(Group, Group.id == Registration.group_id)
        .where(
            Registration.event_id == event_id,
            Registration.status.in_(audience.statuses),
            Registration.anonymised_at.is_(None),
            Group.cancelled_at.is_(None),
        )
        .order_by(Registration.id)
    )
    if audience.group_ids:
        query = query.where(Registration.group_id.in_(audience.group_ids))
    if audience.present_on is not None:
        query = query.where(_present_on(audience.present_on))
    if audience.absent_from is not None:
        date_group = select(SessionDate.group_id).where(SessionDate.id == audience.absent_from)
        query = query.where(
            Registration.group_id == date_group.scalar_subquery(),
            concerns_clause(audience.absent_from),
            ~_present_on(audience.absent_from),
        )
    if audience.source == "by_hand":
        query = query.where(Registration.consent_version.startswith(_PAPER_PREFIX))
    elif audience.source == "online":
        query = query.where(~Registration.consent_version.startswith(_PAPER_PREFIX))
    return query


def _present_on(date_id: int) -> Any:
    return exists().where(
        Attendance.registration_id == Registration.id,
        Attendance.session_date_id == date_id,
        Attendance.present.is_(True),
    )


class EmptyAudience(InvalidRequest):
    code = "empty_audience"
    default_message = _l("Personne ne correspond à ce public : le message n'irait à personne.")

    def __init__(self) -> None:
        super().__init__(errors={"groups": [self.default_message]})


def audience_size(session: Session, event: Event, audience: Audience) -> int:
    """How many the audience selects now; 422 when nobody."""
    size = session.scalar(
        select(func.count()).select_from(audience_query(event.id, audience).subquery())
    )
    if not size:
        raise EmptyAudience()
    return size


def preview(
    session: Session,
    event: Event,
    audience: Audience,
    texts: Mapping[str, Mapping[str, str]],
    *,
    now: datetime | None = None,
) -> Preview:
    """The recipients per language of a message not yet written, and one of each reading it;
    422 when nobody would receive it."""
    now = now or utcnow()
    rows = session.execute(audience_query(event.id, audience)).all()
    if not rows:
        raise EmptyAudience()
    languages = {row.id: text_language(texts, row.language) for row in rows}
    counts = Counter(languages.values())
    first_of = {language: rid for rid, language in reversed(languages.items())}
    readers = session.scalars(
        select(Registration)
        .where(Registration.id.in_(first_of.values()))
        .options(selectinload(Registration.group).selectinload(Group.dates))
    ).all()
    draft = OrganiserMessage(texts=dict(texts))
    examples = {}
    for reader in readers:
        language = languages[reader.id]
        subject, body = written_for(draft, reader, language, now)
        examples[language] = Example(reader.first_name, subject, body)
    ordered = dict(sorted(counts.items(), key=lambda item: (item[0] != DEFAULT_LANGUAGE, item[0])))
    return Preview(len(rows), ordered, dict(sorted(examples.items())))


# --- when ------------------------------------------------------------------------------------


def offset_moment(group: Group, anchor: str, days: int, at: str) -> datetime | None:
    """The moment ``days`` after (before, if negative) the group's first or last held date,
    at ``at`` ("HH:MM") Brussels time; None once the group was called off or holds no date."""
    if group.is_cancelled:
        return None
    date = first_held_date(group) if anchor == "first" else last_held_date(group)
    if date is None:
        return None
    hours, minutes = (int(part) for part in at.split(":"))
    day = date.starts_at.astimezone(BRUSSELS).date() + timedelta(days=days)
    return datetime.combine(day, time(hours, minutes), tzinfo=BRUSSELS).astimezone(UTC)


def anchor_group(session: Session, message: OrganiserMessage) -> Group | None:
    """The one group a message at an offset follows the dates of."""
    group_ids = message.audience.get("groups") or []
    return session.get(Group, group_ids[0]) if group_ids else None


def send_time(session: Session, message: OrganiserMessage) -> datetime | None:
    """When the message leaves (or left); None for one at an offset whose group was called
    off."""
    if message.send_mode is not SendMode.OFFSET:
        return message.send_at
    group = anchor_group(session, message)
    if group is None:
        return None
    assert message.offset_anchor and message.offset_days is not None and message.offset_time
    return offset_moment(group, message.offset_anchor, message.offset_days, message.offset_time)


def check_send_time(event: Event, moment: datetime | None, field: str, now: datetime) -> None:
    """Refuse, on ``field``, a moment already past or beyond the event's last date plus 90
    days."""
    if moment is None:
        raise InvalidRequest(errors={field: [_l("Ce groupe n'a plus de date à venir.")]})
    if moment < now - PAST_GRACE:
        raise InvalidRequest(errors={field: [_l("Ce moment est déjà passé.")]})
    ends = [d.ends_at for group in event.groups for d in held_dates(group)]
    if ends and moment > max(ends) + LATEST_AFTER_LAST_DATE:
        raise InvalidRequest(
            errors={field: [_l("Au plus tard 90 jours après la dernière date de l'événement.")]}
        )


# --- leaving ---------------------------------------------------------------------------------


def release(session: Session, message: OrganiserMessage, now: datetime | None = None) -> int:
    """Send the message now to those its audience selects: fix them as its recipients and
    queue one email each; return how many (0 if it already left, or its groups were all
    called off, which marks it so)."""
    now = now or utcnow()
    if _all_groups_called_off(session, message):
        _move(session, message, MessageState.CALLED_OFF)
        return 0
    if not _move(session, message, MessageState.RELEASED, released_at=now):
        return 0  # another run released it first
    audience = audience_query(message.event_id, Audience.of(message.audience))
    chosen = audience.with_only_columns(literal(message.id), Registration.id)
    session.execute(insert(MessageRecipient).from_select(["message_id", "registration_id"], chosen))
    fixed = (
        select(Registration.id, Registration.group_id, Registration.event_id)
        .join(MessageRecipient, MessageRecipient.registration_id == Registration.id)
        .where(MessageRecipient.message_id == message.id)
    )
    outbox_ids = queue_selected(
        session, EmailKind.ORGANISER_MESSAGE, fixed, {"organiser_message_id": message.id}
    )
    message.recipient_count = len(outbox_ids)
    session.flush()
    return len(outbox_ids)


def _move(session: Session, message: OrganiserMessage, state: MessageState, **values: Any) -> bool:
    """Move a scheduled message to ``state``; whether it still was scheduled."""
    moved = session.execute(
        update(OrganiserMessage)
        .where(OrganiserMessage.id == message.id, OrganiserMessage.state == MessageState.SCHEDULED)
        .values(state=state, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(message)
    return moved.rowcount == 1


def _all_groups_called_off(session: Session, message: OrganiserMessage) -> bool:
    group_ids = message.audience.get("groups") or []
    query = select(Group.id).where(Group.event_id == message.event_id, Group.cancelled_at.is_(None))
    if group_ids:
        query = query.where(Group.id.in_(group_ids))
    return session.scalar(query.limit(1)) is None


def release_due(session: Session, now: datetime | None = None) -> list[int]:
    """Release every scheduled message whose moment has come; mark those at an offset from a
    called-off group as called off. Returns the ids of those released."""
    now = now or utcnow()
    candidates = session.scalars(
        select(OrganiserMessage)
        .where(
            OrganiserMessage.state == MessageState.SCHEDULED,
            or_(OrganiserMessage.send_at <= now, OrganiserMessage.send_mode == SendMode.OFFSET),
        )
        .order_by(OrganiserMessage.id)
    ).all()
    released = []
    for message in candidates:
        moment = send_time(session, message)
        if moment is None:
            _move(session, message, MessageState.CALLED_OFF)
        elif moment <= now and release(session, message, now):
            released.append(message.id)
    return released


def withdraw(session: Session, message: OrganiserMessage) -> None:
    """Withdraw a message before it leaves; 409 once it left or was withdrawn."""
    if not _move(session, message, MessageState.WITHDRAWN):
        raise NotScheduled()


def sent_to(session: Session, registration: Registration) -> list[tuple[str, datetime]]:
    """The messages the organisers sent this registration's participant: subject in their
    language and when each left, newest first."""
    messages = session.scalars(
        select(OrganiserMessage)
        .join(MessageRecipient, MessageRecipient.message_id == OrganiserMessage.id)
        .where(MessageRecipient.registration_id == registration.id)
        .order_by(OrganiserMessage.released_at.desc(), OrganiserMessage.id.desc())
    )
    now = utcnow()
    return [
        (
            written_for(
                message, registration, text_language(message.texts, registration.language), now
            )[0],
            message.released_at,
        )
        for message in messages
        if message.released_at is not None and message.anonymised_at is None
    ]


# --- retention -------------------------------------------------------------------------------


def forget_spent_texts(session: Session, now: datetime | None = None) -> int:
    """Empty the texts of messages none of whose recipients is left unanonymised (of those
    that reached nobody, once none of the event's registrations is): the body lasts as long
    as the registrations it was written for. Returns how many."""
    living = select(Registration.id).where(Registration.anonymised_at.is_(None))
    kept_for = exists().where(
        MessageRecipient.message_id == OrganiserMessage.id,
        MessageRecipient.registration_id.in_(living),
    )
    reached_someone = exists().where(MessageRecipient.message_id == OrganiserMessage.id)
    event_living = exists().where(
        Registration.event_id == OrganiserMessage.event_id, Registration.anonymised_at.is_(None)
    )
    result = session.execute(
        update(OrganiserMessage)
        .where(
            OrganiserMessage.anonymised_at.is_(None),
            OrganiserMessage.state != MessageState.SCHEDULED,
            ~kept_for,
            or_(reached_someone, ~event_living),
        )
        .values(texts={}, anonymised_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
