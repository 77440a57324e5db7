"""What organisers do with messages to their participants: preview, send or schedule, edit,
withdraw, follow up and retry; and the event's delivery log. Plain functions that flush and
never commit; each message (not each copy) is written to the journal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.registration.organiser.actions import Organising
from shared.database import utcnow
from shared.domain import organiser_messages as rules
from shared.domain.organiser_messages import Audience, Preview
from shared.errors import InvalidRequest, NotFound
from shared.limits import organiser_message_limit, spend
from shared.models import (
    DeliveryStatus,
    EmailMessage,
    Event,
    MessageState,
    OrganiserMessage,
    RegistrationStatus,
    SendMode,
)
from shared.paging import Keyset, Page, page_of
from shared.queue import MAIL_QUEUE, RETRY_FAILED_TASK, send_after_commit

# The delivery log's order, and its pages'.
NEWEST_FIRST = Keyset((EmailMessage.id,), descending=True)


@dataclass(frozen=True)
class FollowUp:
    """A message as its organisers follow it: where it stands and what became of each copy."""

    message: OrganiserMessage
    state: str
    audience: dict[str, Any]
    send_at: datetime | None
    recipients: int | None
    counts: dict[DeliveryStatus, int] = field(default_factory=dict)
    failed: list[EmailMessage] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """How many copies left."""
        return self.counts.get(DeliveryStatus.SENT, 0)

    @property
    def released_at(self) -> datetime | None:
        """When it left."""
        return self.message.released_at


def read_audience(event: Event, data: dict[str, Any]) -> Audience:
    """The audience a request describes, each group and date checked to be the event's:
    another event's is refused on its field."""
    groups = {group.slug: group for group in event.groups}
    unknown = [slug for slug in data["groups"] if slug not in groups]
    if unknown:
        raise InvalidRequest(errors={"groups": [NotFound.default_message]})
    date_ids = {d.id for group in event.groups for d in group.dates}
    for name in ("present_on", "absent_from"):
        if data[name] is not None and data[name] not in date_ids:
            raise InvalidRequest(errors={name: [NotFound.default_message]})
    return Audience(
        tuple(dict.fromkeys(groups[slug].id for slug in data["groups"])),
        tuple(RegistrationStatus(status) for status in dict.fromkeys(data["statuses"])),
        data["present_on"],
        data["absent_from"],
        data["source"],
    )


def texts_of(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The subject and body by language, as the message stores them."""
    return {
        language: {"subject": subject, "body": data["body"][language]}
        for language, subject in data["subject"].items()
    }


def preview(by: Organising, data: dict[str, Any]) -> Preview:
    """How many would receive the message in each language, and how one of each reads it."""
    audience = read_audience(by.event, data)
    return rules.preview(by.session, by.event, audience, texts_of(data))


def compose(by: Organising, data: dict[str, Any]) -> OrganiserMessage:
    """Write a message: it leaves now (to those the audience selects now) or is scheduled."""
    message = OrganiserMessage(event_id=by.event.id, author_id=by.organiser.id)
    count = _fill(by, message, data)
    by.session.add(message)
    by.session.flush()
    if message.send_mode is SendMode.NOW:
        count = rules.release(by.session, message)
    by.record(
        "message.sent" if message.send_mode is SendMode.NOW else "message.scheduled",
        id=message.id,
        **journalled(by.event, message.audience),
        recipients=count,
    )
    # Counted once the message is accepted: a refused one costs nothing.
    wait = spend(organiser_message_limit(), f"messages/{by.organiser.id}")
    if wait is not None:
        raise rules.TooManyMessages(headers={"Retry-After": str(wait)})
    return message


def edit(by: Organising, message_id: int, data: dict[str, Any]) -> OrganiserMessage:
    """Change a message still waiting for its moment; 409 once it left or was withdrawn."""
    message = find_message(by, message_id)
    if message.state is not MessageState.SCHEDULED:
        raise rules.NotScheduled()
    count = _fill(by, message, data)
    by.session.flush()
    if message.send_mode is SendMode.NOW:
        count = rules.release(by.session, message)
    by.record(
        "message.edited",
        id=message.id,
        **journalled(by.event, message.audience),
        recipients=count,
    )
    return message


def _fill(by: Organising, message: OrganiserMessage, data: dict[str, Any]) -> int:
    """Write the request into the message after checking its audience and moment; return
    how many the audience selects now."""
    now = utcnow()
    audience = read_audience(by.event, data)
    texts = texts_of(data)
    count = rules.audience_size(by.session, by.event, audience)
    message.audience = audience.as_json()
    message.texts = texts
    message.send_mode = data["send"]
    message.send_at = {SendMode.NOW: now, SendMode.AT: data["send_at"]}.get(data["send"])
    offset = data["send"] is SendMode.OFFSET
    message.offset_anchor = data["offset_anchor"] if offset else None
    message.offset_days = data["offset_days"] if offset else None
    message.offset_time = data["offset_time"] if offset else None
    if message.send_mode is SendMode.AT:
        rules.check_send_time(by.event, message.send_at, "send_at", now)
    elif offset:
        group = next(g for g in by.event.groups if g.id == audience.group_ids[0])
        moment = rules.offset_moment(
            group, data["offset_anchor"], data["offset_days"], data["offset_time"]
        )
        rules.check_send_time(by.event, moment, "offset_days", now)
    return count


def withdraw(by: Organising, message_id: int) -> OrganiserMessage:
    """Withdraw a message before it leaves; 409 once it left."""
    message = find_message(by, message_id)
    rules.withdraw(by.session, message)
    by.record("message.withdrawn", id=message.id)
    return message


def find_message(by: Organising, message_id: int) -> OrganiserMessage:
    """A message of this event, or 404."""
    message = by.session.get(OrganiserMessage, message_id)
    if message is None or message.event_id != by.event.id:
        raise NotFound()
    return message


def describe_audience(event: Event, audience: dict[str, Any]) -> dict[str, Any]:
    """The stored audience with its groups named by slug, as the journal and API show it."""
    slugs = {group.id: group.slug for group in event.groups}
    return {**audience, "groups": [slugs.get(i, str(i)) for i in audience.get("groups") or []]}


def journalled(event: Event, audience: dict[str, Any]) -> dict[str, Any]:
    """The audience as the journal lists it: groups by slug (none: the whole event), the
    statuses, and the other filters only where set."""
    described = describe_audience(event, audience)
    return {key: value for key, value in described.items() if value not in (None, "any")}


def follow_up(session: Session, event: Event, message: OrganiserMessage) -> FollowUp:
    """Where a message stands: scheduled, sending, sent (n of m), failed (who), withdrawn or
    called off."""
    return _follow_ups(session, event, [message])[0]


def _follow_ups(session: Session, event: Event, messages: list[OrganiserMessage]) -> list[FollowUp]:
    # Two statements for any number of messages: their copies counted, then the failed ones.
    ids = [message.id for message in messages]
    counts: dict[int, dict[DeliveryStatus, int]] = {id_: {} for id_ in ids}
    for message_id, status, count in session.execute(
        select(EmailMessage.organiser_message_id, EmailMessage.status, func.count())
        .where(EmailMessage.organiser_message_id.in_(ids))
        .group_by(EmailMessage.organiser_message_id, EmailMessage.status)
    ):
        counts[message_id][DeliveryStatus(status)] = count
    failed: dict[int, list[EmailMessage]] = {id_: [] for id_ in ids}
    if any(by_status.get(DeliveryStatus.FAILED) for by_status in counts.values()):
        for copy in session.scalars(
            select(EmailMessage)
            .where(
                EmailMessage.organiser_message_id.in_(ids),
                EmailMessage.status == DeliveryStatus.FAILED,
            )
            .order_by(EmailMessage.id)
        ):
            failed[copy.organiser_message_id].append(copy)
    return [
        FollowUp(
            message,
            _state(message, counts[message.id]),
            describe_audience(event, message.audience),
            rules.send_time(session, message),
            message.recipient_count,
            counts[message.id],
            failed[message.id],
        )
        for message in messages
    ]


def _state(message: OrganiserMessage, counts: dict[DeliveryStatus, int]) -> str:
    if message.state is not MessageState.RELEASED:
        return message.state.value
    if counts.get(DeliveryStatus.FAILED):
        return "failed"
    if counts.get(DeliveryStatus.SENT, 0) >= (message.recipient_count or 0):
        return "sent"
    return "sending"


def messages_of(session: Session, event: Event) -> list[FollowUp]:
    """Every message of the event, newest first, each with where it stands."""
    messages = session.scalars(
        select(OrganiserMessage)
        .where(OrganiserMessage.event_id == event.id)
        .order_by(OrganiserMessage.id.desc())
    )
    return _follow_ups(session, event, list(messages))


def retry_failed(by: Organising, copy_ids: list[int]) -> list[int]:
    """Ask the worker to send again these failed copies of the event's emails (those of
    another event, or not failed, are left alone); the ids asked for."""
    failed = list(
        by.session.scalars(
            select(EmailMessage.id).where(
                EmailMessage.id.in_(copy_ids),
                EmailMessage.event_id == by.event.id,
                EmailMessage.status == DeliveryStatus.FAILED,
            )
        )
    )
    if failed:
        # The worker owns the delivery log: it queues them again and sends them.
        send_after_commit(by.session, RETRY_FAILED_TASK, [failed], queue=MAIL_QUEUE)
        by.record("email.retried", recipients=len(failed))
    return failed


def failed_copies(session: Session, message: OrganiserMessage) -> list[int]:
    """The ids of a message's copies that failed."""
    return list(
        session.scalars(
            select(EmailMessage.id).where(
                EmailMessage.organiser_message_id == message.id,
                EmailMessage.status == DeliveryStatus.FAILED,
            )
        )
    )


def delivery_log(
    session: Session, event: Event, *, limit: int, cursor: tuple | None
) -> Page[EmailMessage]:
    """A page of every email the event's participants were sent, newest first."""
    query = select(EmailMessage).where(EmailMessage.event_id == event.id)
    return page_of(session, query, NEWEST_FIRST, limit=limit, cursor=cursor)
