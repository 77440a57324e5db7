"""Storage limitation: registrations are anonymised some months after their group's last
date, or at once on request, keeping the counts and presence that reports need, and their
emails with them; emails, sent or failed, are forgotten after their own retention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.orm import Session, object_session

from shared.database import utcnow
from shared.domain.attendance import groups_over_at
from shared.domain.checkin import checkin_code, shows_code
from shared.domain.organiser_messages import forget_spent_texts
from shared.models import (
    DeliveryStatus,
    EmailMessage,
    OutboxMessage,
    Registration,
    RegistrationAnswer,
)

ANONYMOUS = "—"
# Why an email not sent before its registration was anonymised never will be.
ERASED = "not sent: the registration was anonymised"


def anonymise(registration: Registration, *, now: datetime | None = None) -> None:
    """Replace everything that identifies the person; keep role, status and presence.

    Its manage and calendar links open nothing any more; its emails are redacted; its
    answers to the event's questions are deleted.
    """
    registration.first_name = ANONYMOUS
    registration.last_name = ANONYMOUS
    registration.email = f"anonymised-{registration.id}@invalid"
    registration.email_normalized = registration.email
    registration.phone = None
    registration.organisation = None
    # Its links open nothing from now on (registration_by_token refuses an anonymised one).
    registration.legacy_manage_digest = None
    registration.legacy_calendar_digest = None
    registration.anonymised_at = now or utcnow()
    session = object_session(registration)
    assert session is not None, "only a stored registration is anonymised"
    redact_emails(session, registration)
    # Answers to the event's own questions may say who the person is (or their health or
    # origin): none is kept.
    session.execute(
        delete(RegistrationAnswer)
        .where(RegistrationAnswer.registration_id == registration.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(registration, ["answers"])


def anonymise_expired(session: Session, *, months: int, now: datetime | None = None) -> list[int]:
    """Anonymise registrations whose group has been over for ``months`` (its last held
    date ended then); return their ids."""
    now = now or utcnow()
    cutoff = now - relativedelta(months=months)
    over = groups_over_at()
    expired = list(
        session.scalars(
            select(Registration)
            .join(over, over.c.group_id == Registration.group_id)
            .where(Registration.anonymised_at.is_(None), over.c.over_at < cutoff)
        )
    )
    for registration in expired:
        anonymise(registration, now=now)
    session.flush()
    forget_spent_texts(session, now)
    return [registration.id for registration in expired]


def redact_emails(session: Session, registration: Registration) -> None:
    """Strip an anonymised registration's emails of what named the person: the delivery log's
    address, subject and SMTP error, the outbox's payload; those not sent yet never will be."""
    unsent = EmailMessage.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.SENDING))
    session.execute(
        update(EmailMessage)
        .where(EmailMessage.registration_id == registration.id)
        .values(
            recipient=registration.email,
            subject=None,
            last_error=case((unsent, ERASED), else_=None),
            status=case((unsent, DeliveryStatus.FAILED), else_=EmailMessage.status),
            updated_at=registration.anonymised_at,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id == registration.id)
        .values(payload={})
        .execution_options(synchronize_session=False)
    )


def personal_data(registration: Registration) -> dict[str, Any]:
    """Everything stored about the person in this registration, for them to download."""
    group = registration.group
    return {
        "registration": {
            "id": registration.id,
            "status": registration.status.value,
            "waitlist_position": registration.waitlist_position,
            "created_at": registration.created_at.isoformat(),
            "updated_at": registration.updated_at.isoformat(),
            "cancelled_at": registration.cancelled_at and registration.cancelled_at.isoformat(),
            # What the QR code shown at the door holds, while the registration holds a place.
            "checkin_code": checkin_code(registration) if shows_code(registration) else None,
        },
        "person": {
            "first_name": registration.first_name,
            "last_name": registration.last_name,
            "email": registration.email,
            "phone": registration.phone,
            "organisation": registration.organisation,
            "role": registration.role.value,
            "language": registration.language,
        },
        "consent": {
            "version": registration.consent_version,
            "given_at": registration.consented_at.isoformat(),
        },
        "event": {"slug": registration.event.slug, "title": registration.event.title},
        "group": {
            "name": group.name,
            "venue": group.venue_name,
            "address": group.address,
            "dates": [
                {"start": d.starts_at.isoformat(), "end": d.ends_at.isoformat()}
                for d in group.dates
            ],
        },
        "attendance": [
            {"date": a.session_date.starts_at.isoformat(), "present": a.present}
            for a in registration.attendances
        ],
        "answers": [
            {"question": answer.question.wording, "answer": answer.value}
            for answer in sorted(registration.answers, key=lambda a: a.question.position)
        ],
    }


def purge_delivered_outbox(session: Session, *, days: int, now: datetime | None = None) -> int:
    """Delete outbox rows older than ``days`` whose every email was sent; return how many.

    A row with no email yet, or with one still queued, sending or failed, is kept: deleting it
    would lose that email.
    """
    cutoff = (now or utcnow()) - timedelta(days=days)
    sent = select(EmailMessage.id).where(
        EmailMessage.outbox_id == OutboxMessage.id, EmailMessage.status == DeliveryStatus.SENT
    )
    unsent = select(EmailMessage.id).where(
        EmailMessage.outbox_id == OutboxMessage.id, EmailMessage.status != DeliveryStatus.SENT
    )
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.created_at < cutoff, sent.exists(), ~unsent.exists())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def purge_sent_messages(session: Session, *, days: int, now: datetime | None = None) -> int:
    """Delete delivery-log rows of emails sent, or failed for good, more than ``days`` ago;
    return how many."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    sent_long_ago = and_(EmailMessage.status == DeliveryStatus.SENT, EmailMessage.sent_at < cutoff)
    failed_long_ago = and_(
        EmailMessage.status == DeliveryStatus.FAILED, EmailMessage.updated_at < cutoff
    )
    result = session.execute(
        delete(EmailMessage)
        .where(or_(sent_long_ago, failed_long_ago))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
