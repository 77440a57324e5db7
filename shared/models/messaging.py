"""The outbox (owner: registration) and the delivery log of emails (owner: notifications).

The registration service writes an outbox row in the same transaction as the change that
causes an email. The notifications service turns each outbox row into one email message per
recipient, claims, sends and records it; reminders it creates itself.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import Base, UTCDateTime, str_enum, utcnow
from shared.i18n import DEFAULT_LANGUAGE


class OutboxMessage(Base):
    """An email to send, recorded in the same transaction as the change that causes it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL")
    )
    # What the email must say that the rows may no longer show when it is rendered
    # (a waiting-list position, the old time of a moved date).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DeliveryStatus(enum.StrEnum):
    """Where a delivery-log entry stands: queued, being sent, sent, or failed for good."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class EmailMessage(Base):
    """One email to one recipient and its delivery: the delivery log, owned by notifications."""

    __tablename__ = "email_messages"
    __table_args__ = (
        UniqueConstraint("outbox_id", "recipient"),
        Index("ix_email_messages_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    # Set for messages the notifications service creates itself (reminders), so that each
    # is created once: "reminder:<registration>:<date>".
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL")
    )
    # The organiser message this email is a copy of, for its follow-up.
    organiser_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("organiser_messages.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"),
        default=DeliveryStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    outbox: Mapped[OutboxMessage | None] = relationship()


class EmailKind(enum.StrEnum):
    """What an email is about; one template per kind."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    MOVED = "moved"
    REMINDER = "reminder"
    DATE_CHANGED = "date_changed"
    DATE_CANCELLED = "date_cancelled"
    GROUP_CANCELLED = "group_cancelled"
    GROUP_FULL = "group_full"
    MANAGE_LINK = "manage_link"
    CERTIFICATE = "certificate"
    EVALUATION = "evaluation"
    ORGANISER_INVITATION = "organiser_invitation"
    PASSWORD_RESET = "password_reset"
    CONFIRM_REGISTRATION = "confirm_registration"
    ALREADY_REGISTERED = "already_registered"
    ORGANISER_MESSAGE = "organiser_message"
    TRAINER_FEED = "trainer_feed"
    TRAINER_DATES_CHANGED = "trainer_dates_changed"
