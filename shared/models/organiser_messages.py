"""Messages organisers write to the participants of an event, and who each was sent to.

Owner: the registration service.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import Base, UTCDateTime, str_enum, utcnow
from shared.models.events import Event
from shared.models.organisers import Organiser


class MessageState(enum.StrEnum):
    """Where a message stands: waiting for its time, gone to its recipients, withdrawn by
    an organiser, or never sent because its group was called off."""

    SCHEDULED = "scheduled"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"
    CALLED_OFF = "called_off"


class SendMode(enum.StrEnum):
    """When a message leaves: at once, at a moment, or at an offset from its group's dates."""

    NOW = "now"
    AT = "at"
    OFFSET = "offset"


class OrganiserMessage(Base):
    """A message to an audience of an event's participants, its subject and body per language."""

    __tablename__ = "organiser_messages"
    __table_args__ = (Index("ix_organiser_messages_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("organisers.id", ondelete="SET NULL"))
    # {"groups": [group ids], "statuses": [...], "present_on": date id, "absent_from": date
    # id, "source": "any" | "by_hand" | "online"} (shared.domain.organiser_messages).
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    # {"fr": {"subject": …, "body": …}, "en": …}: French always; emptied when anonymised.
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    send_mode: Mapped[SendMode] = mapped_column(str_enum(SendMode, "message_send_mode"))
    # The moment of a message sent now or at a time; None for one at an offset, whose moment
    # follows its group's dates.
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offset_anchor: Mapped[str | None] = mapped_column(String(5))
    offset_days: Mapped[int | None] = mapped_column(Integer)
    offset_time: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[MessageState] = mapped_column(
        str_enum(MessageState, "message_state"), default=MessageState.SCHEDULED
    )
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient_count: Mapped[int | None] = mapped_column(Integer)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    author: Mapped[Organiser | None] = relationship()

    def text_in(self, language: str) -> dict[str, str]:
        """The subject and body in ``language``, or in French when not written in it."""
        texts = self.texts or {}
        return texts.get(language) or texts.get("fr") or {"subject": "", "body": ""}


class MessageRecipient(Base):
    """A registration a message was sent to, fixed when it left."""

    __tablename__ = "organiser_message_recipients"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("organiser_messages.id", ondelete="CASCADE"), primary_key=True
    )
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
