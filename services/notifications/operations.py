"""Delivering emails: outbox rows become delivery-log rows that are claimed, sent and recorded.

Every function flushes and never commits: the task around it commits, so a claim is
visible to other workers before the slow SMTP conversation starts.
"""

from __future__ import annotations

import random
import re
import smtplib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_mail import Mail
from sqlalchemy import and_, bindparam, case, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from services.notifications import emails
from services.notifications.mime import MailMessage
from services.notifications.smtp import kept_connection
from shared.database import utcnow
from shared.domain.attendance import concerns_clause, held_clause
from shared.domain.evaluations import forget_link
from shared.domain.organiser_messages import text_language
from shared.models import (
    DeliveryStatus,
    EmailKind,
    EmailMessage,
    Event,
    Group,
    OrganiserMessage,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SessionDate,
)
from shared.tokens import digest

mail = Mail()
INTERRUPTED = "interrupted while sending"
# Outbox rows older than this that never produced a message are no longer swept.
OUTBOX_SWEEP_HORIZON = timedelta(days=7)
# An address in free text (an event's contact, written by its organisers). It starts only
# where a run of its characters starts: tried from inside a run too, a long run without "@"
# would cost time growing with the square of its length.
ADDRESS = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Recipient:
    """One address an outbox row is sent to, in that reader's language."""

    address: str
    language: str
    registration_id: int | None = None


@dataclass(frozen=True)
class SweepResult:
    """What the sweep found waiting: outbox rows never turned into messages, and messages."""

    outbox_ids: list[int]
    message_ids: list[int]


# --- outbox → delivery log -------------------------------------------------------------------


def create_messages(session: Session, outbox_ids: Sequence[int]) -> list[int]:
    """One delivery-log row per recipient of each outbox row (again: none); the ids to send."""
    outboxes = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)).order_by(OutboxMessage.id)
    ).all()
    earlier = session.execute(
        select(
            EmailMessage.outbox_id, EmailMessage.recipient, EmailMessage.id, EmailMessage.status
        ).where(EmailMessage.outbox_id.in_(outbox_ids))
    ).all()
    existing = {(row.outbox_id, row.recipient) for row in earlier}
    waiting = [row.id for row in earlier if row.status == DeliveryStatus.QUEUED]
    created = []
    registration_ids = [o.registration_id for o in outboxes if o.registration_id is not None]
    # Only the addressees: rendering loads the groups and dates afresh, after the claim.
    with emails.preloaded_registrations(session, registration_ids, with_group=False):
        for outbox in outboxes:
            for recipient in recipients(session, outbox):
                if (outbox.id, recipient.address) in existing:
                    continue
                existing.add((outbox.id, recipient.address))
                created.append(new_message(outbox, recipient))
    if not created:
        return sorted(waiting)
    try:
        # One multi-row INSERT, without the unit of work's bookkeeping per object.
        new_ids = session.scalars(insert(EmailMessage).returning(EmailMessage.id), created)
    except IntegrityError:  # a second delivery of the same outbox rows created some first
        session.rollback()
        if len(outbox_ids) == 1:
            return queued_message_ids(session, outbox_ids)
        return sorted(i for outbox_id in outbox_ids for i in create_messages(session, [outbox_id]))
    return sorted(waiting + list(new_ids))


def new_message(outbox: OutboxMessage, recipient: Recipient) -> dict[str, Any]:
    """The columns of an outbox row's queued delivery-log row for one recipient."""
    return {
        "outbox_id": outbox.id,
        "kind": outbox.kind,
        "event_id": outbox.event_id,
        "registration_id": recipient.registration_id,
        "organiser_message_id": (outbox.payload or {}).get("organiser_message_id"),
        "recipient": recipient.address,
        "language": recipient.language,
        "status": DeliveryStatus.QUEUED,
        "message_id": stable_message_id(f"outbox-{outbox.id}-{digest(recipient.address)[:16]}"),
    }


def queued_message_ids(session: Session, outbox_ids: Sequence[int]) -> list[int]:
    """The outbox rows' messages still waiting to be sent."""
    return list(
        session.scalars(
            select(EmailMessage.id)
            .where(
                EmailMessage.outbox_id.in_(outbox_ids),
                EmailMessage.status == DeliveryStatus.QUEUED,
            )
            .order_by(EmailMessage.id)
        )
    )


def recipients(session: Session, outbox: OutboxMessage) -> list[Recipient]:
    """Who an outbox row speaks to: its participant, the event's organisers, the person an
    account email (invitation, password reset) is for, or a trainer."""
    kind = EmailKind(outbox.kind)
    if kind in emails.ORGANISER_KINDS:
        return organiser_recipients(session, outbox.event_id)
    if kind in emails.ACCOUNT_KINDS:
        found = emails.account_recipient(session, kind, outbox.payload or {})
        return [Recipient(*found)] if found else []
    if kind in emails.TRAINER_KINDS:
        found = emails.trainer_recipient(session, outbox.payload or {})
        return [Recipient(*found)] if found else []
    # A change to a whole group is recorded as one row per participant it concerns, chosen
    # by the domain when the change is made.
    if outbox.registration_id is None:
        return []
    registration = session.get(Registration, outbox.registration_id)
    if registration is None or registration.anonymised_at is not None:
        return []
    language = registration.language
    if kind is EmailKind.ORGANISER_MESSAGE:
        # Written in the language the organisers wrote the message in for this reader.
        message = session.get(OrganiserMessage, (outbox.payload or {}).get("organiser_message_id"))
        language = text_language(message.texts if message else {}, language)
    return [Recipient(registration.email, language, registration.id)]


def organiser_recipients(session: Session, event_id: int | None) -> list[Recipient]:
    """The event's active organisers, or the addresses in its contact text when it has none."""
    event = session.get(Event, event_id) if event_id is not None else None
    if event is None:
        return []
    # A deactivated account hears nothing more of the event.
    organisers = [organiser.email for organiser in event.organisers if organiser.is_active]
    addresses = organisers or ADDRESS.findall(event.organiser_contact or "")
    return [Recipient(address, event.language) for address in dict.fromkeys(addresses)]


def stable_message_id(local_part: str) -> str:
    """A Message-ID that is the same every time the row is (re)sent, so readers can dedupe."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    found = ADDRESS.search(sender)
    domain = found.group(0).split("@", 1)[1] if found else "atelier.invalid"
    return f"<{local_part}@{domain}>"


# --- sending messages ------------------------------------------------------------------------


def claim(session: Session, message_ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """Move queued messages to sending; the ids claimed (others are another worker's or done)."""
    claimed = session.scalars(
        update(EmailMessage)
        .where(EmailMessage.id.in_(message_ids), EmailMessage.status == DeliveryStatus.QUEUED)
        .values(
            status=DeliveryStatus.SENDING,
            attempts=EmailMessage.attempts + 1,
            updated_at=now or utcnow(),
        )
        .returning(EmailMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def build(session: Session, message_id: int, shared: emails.Shared | None = None) -> MailMessage:
    """The Flask-Mail message for a delivery-log row, with its stable Message-ID; rows
    rendered together pass the same ``shared``."""
    message = session.get(EmailMessage, message_id, options=[joinedload(EmailMessage.outbox)])
    if message is None:
        raise emails.Undeliverable("the message no longer exists")
    rendered = emails.render(session, message, shared)
    message.subject = rendered.subject[:300]
    mail_message = MailMessage(
        subject=rendered.subject,
        recipients=[message.recipient],
        body=rendered.text,
        html=rendered.html,
        extra_headers={"Auto-Submitted": "auto-generated", "Content-Language": message.language},
    )
    mail_message.msgId = message.message_id
    for attachment in rendered.attachments:
        mail_message.attach(attachment.filename, attachment.content_type, attachment.content)
    mail_message.date = time.time()
    if mail_message.has_bad_headers():
        raise emails.Undeliverable("a header of the message holds a line break")
    mail_message.as_bytes()  # written now: a message that cannot be, fails here for good
    return mail_message


def send(mail_message: MailMessage) -> None:
    """Hand the message to the SMTP server, on this worker's kept connection."""
    kept_connection(current_app).send(mail, mail_message)


# Run once per email sent: built once, a plain table statement skips the ORM's bulk path.
_MESSAGES = EmailMessage.__table__
_MARK_SENT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("row_id"))
    .where(_MESSAGES.c.status == DeliveryStatus.SENDING)
    .values(status=DeliveryStatus.SENT, sent_at=bindparam("now"), updated_at=bindparam("now"))
    .values(last_error=None)
    .returning(_MESSAGES.c.kind, _MESSAGES.c.registration_id)
)


def record_sent(session: Session, message_id: int, now: datetime | None = None) -> None:
    """Mark a message sent; an invitation to evaluate that left forgets its link."""
    sent = session.execute(_MARK_SENT, {"row_id": message_id, "now": now or utcnow()}).first()
    if sent is not None and sent.kind == EmailKind.EVALUATION and sent.registration_id:
        forget_link(session, sent.registration_id)


def record_failure(
    session: Session,
    message_ids: Sequence[int],
    error: str,
    *,
    final: bool,
    now: datetime | None = None,
) -> None:
    """Release messages after a failed attempt: queued for their retry, or failed for good."""
    session.execute(
        update(EmailMessage)
        .where(EmailMessage.id.in_(message_ids), EmailMessage.status == DeliveryStatus.SENDING)
        .values(
            status=DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED,
            last_error=error[:2000],
            updated_at=now or utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def requeue_failed(
    session: Session, message_ids: Sequence[int], now: datetime | None = None
) -> list[int]:
    """Queue failed messages again for a fresh round of attempts; the ids queued."""
    queued = session.scalars(
        update(EmailMessage)
        .where(EmailMessage.id.in_(message_ids), EmailMessage.status == DeliveryStatus.FAILED)
        .values(status=DeliveryStatus.QUEUED, updated_at=now or utcnow())
        .returning(EmailMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(queued)


def is_permanent(error: Exception) -> bool:
    """Whether the SMTP server refused the message for good (5xx): retrying cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def describe(error: BaseException) -> str:
    """A one-line account of a failure for the delivery log."""
    return f"{type(error).__name__}: {error}".strip()


def retry_delay(attempt: int, *, base: float, ceiling: float) -> float:
    """Exponential backoff with full jitter: a random delay up to base·2^attempt, capped."""
    return random.uniform(base / 2, min(ceiling, base * 2**attempt))


# --- the sweep -------------------------------------------------------------------------------


def sweep(
    session: Session,
    *,
    now: datetime,
    stale_outbox: timedelta,
    stale_queued: timedelta,
    stale_sending: timedelta,
) -> SweepResult:
    """Find what was never handed over or got stuck: outbox rows without messages, messages
    queued too long, and messages left sending by a worker that died (queued again)."""
    orphans = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.created_at < now - stale_outbox,
                OutboxMessage.created_at > now - OUTBOX_SWEEP_HORIZON,
                ~exists().where(EmailMessage.outbox_id == OutboxMessage.id),
            )
            .order_by(OutboxMessage.id)
        )
    )
    stuck = and_(
        EmailMessage.status == DeliveryStatus.SENDING,
        EmailMessage.updated_at < now - stale_sending,
    )
    forgotten = and_(
        EmailMessage.status == DeliveryStatus.QUEUED,
        EmailMessage.updated_at < now - stale_queued,
    )
    # One conditional UPDATE: a row a worker finishes meanwhile no longer matches. Touching
    # updated_at keeps the next sweep from enqueuing it again while it waits in the queue.
    waiting = session.scalars(
        update(EmailMessage)
        .where(or_(stuck, forgotten))
        .values(
            status=DeliveryStatus.QUEUED,
            updated_at=now,
            last_error=case((stuck, INTERRUPTED), else_=EmailMessage.last_error),
        )
        .returning(EmailMessage.id)
        .execution_options(synchronize_session=False)
    )
    return SweepResult(orphans, sorted(waiting))


# --- reminders -------------------------------------------------------------------------------


def schedule_reminders(session: Session, *, now: datetime, lead: timedelta) -> list[int]:
    """One reminder per confirmed registration and session date starting within ``lead``;
    never twice, never for a cancelled registration, date or group. Returns the new ids."""
    candidates = session.execute(
        select(Registration, SessionDate)
        .join(SessionDate, SessionDate.group_id == Registration.group_id)
        .join(Group, Group.id == Registration.group_id)
        .where(
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.anonymised_at.is_(None),
            held_clause(),
            concerns_clause(SessionDate.id),
            SessionDate.recurrence_rule.is_(None),
            SessionDate.starts_at > now,
            SessionDate.starts_at <= now + lead,
        )
        .order_by(SessionDate.starts_at, Registration.id)
    ).all()
    keys = {emails.reminder_key(r.id, d.id): (r, d) for r, d in candidates}
    sent_before = set(
        session.scalars(select(EmailMessage.dedupe_key).where(EmailMessage.dedupe_key.in_(keys)))
    )
    created = []
    for key, (registration, _session_date) in keys.items():
        if key in sent_before:
            continue
        message = EmailMessage(
            dedupe_key=key,
            kind=EmailKind.REMINDER.value,
            event_id=registration.event_id,
            registration_id=registration.id,
            recipient=registration.email,
            language=registration.language,
            status=DeliveryStatus.QUEUED,
            message_id=stable_message_id(key.replace(":", "-")),
        )
        session.add(message)
        created.append(message)
    session.flush()
    return [message.id for message in created]
