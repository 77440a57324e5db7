"""Participants' registrations, revoked tokens and per-date attendance.

Owner: the registration service.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import ColumnProperty, Mapped, column_property, mapped_column, relationship

from shared.database import Base, UTCDateTime, str_enum, utcnow
from shared.i18n import DEFAULT_LANGUAGE
from shared.models.events import Event, Group, SessionDate
from shared.tokens import registration_token, secret_key

if TYPE_CHECKING:
    from shared.models.registration_questions import RegistrationAnswer


class RegistrationStatus(enum.StrEnum):
    """Where a registration stands: holding a place, waiting for one, or cancelled."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Role(enum.StrEnum):
    """The participant's professional role, asked on the form for the funders' reports."""

    FIELD_WORKER = "field_worker"
    PROJECT_LEAD = "project_lead"
    PUBLIC_ADMINISTRATION = "public_administration"
    RESEARCHER = "researcher"
    OTHER = "other"


ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
_ACTIVE_SQL = text("status IN ('confirmed', 'waitlisted')")


class Registration(Base):
    """A participant's registration for one group (or one date of it)."""

    __tablename__ = "registrations"
    __table_args__ = (
        # One active registration per person and event, enforced by the database too.
        Index(
            "uq_registrations_active_email",
            "event_id",
            "email_normalized",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
        Index("ix_registrations_group_status", "group_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    session_date_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_dates.id", ondelete="SET NULL"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    email_normalized: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    organisation: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "participant_role"))
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE)
    consent_version: Mapped[str] = mapped_column(String(40))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, "registration_status")
    )
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    # The manage and calendar links' tokens are derived from the id, these versions and the
    # secret key (shared.tokens.registration_token), so that no table holds them; a new
    # version replaces a link.
    manage_token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    calendar_token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The check-in code shown at the door is derived the same way under its own purpose
    # (shared.domain.checkin): it proves presence and opens nothing else.
    checkin_code_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The SHA-256 digests of the random tokens of links sent before tokens were derived,
    # which keep opening the registration.
    legacy_manage_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    legacy_calendar_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the event asks that a registration be confirmed from its email: until then
    # its place, or its waiting position, is held only until this moment
    # (shared.domain.confirmation). Kept once confirmed or released, to tell which it was.
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The confirmation link's token is derived from this nonce and the secret key; only its
    # digest is kept, to find the registration again.
    confirmation_nonce: Mapped[str | None] = mapped_column(String(64))
    confirmation_digest: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    event: Mapped[Event] = relationship()
    group: Mapped[Group] = relationship(back_populates="registrations")
    session_date: Mapped[SessionDate | None] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )
    answers: Mapped[list[RegistrationAnswer]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        """Confirmed or waiting: it holds or awaits a place."""
        return self.status in ACTIVE_STATUSES

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    @property
    def manage_token(self) -> str:
        """The token of the participant's manage link, derived under the secret key."""
        return registration_token(secret_key(), "manage", self.id, self.manage_token_version)

    @property
    def calendar_token(self) -> str:
        """The token of the participant's personal calendar feed, derived under the secret key."""
        return registration_token(secret_key(), "calendar", self.id, self.calendar_token_version)


class RevokedToken(Base):
    """A manage or calendar token replaced by a new one: looked up to answer 410, not 404."""

    __tablename__ = "revoked_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(Base):
    """Whether a participant was present on one date, as an organiser marked it."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("registration_id", "session_date_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    session_date_id: Mapped[int] = mapped_column(
        ForeignKey("session_dates.id", ondelete="CASCADE"), index=True
    )
    present: Mapped[bool] = mapped_column(Boolean)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisers.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="attendances")
    session_date: Mapped[SessionDate] = relationship()


def _count_of(status: RegistrationStatus) -> ColumnProperty[int]:
    return column_property(
        select(func.count(Registration.id))
        .where(Registration.group_id == Group.id, Registration.status == status)
        .correlate_except(Registration)
        .scalar_subquery(),
        deferred=True,
    )


# Loaded on first use, or with the group where a query asks (listings undefer them).
Group.confirmed_count = _count_of(RegistrationStatus.CONFIRMED)
Group.waitlist_length = _count_of(RegistrationStatus.WAITLISTED)


class Certificate(Base):
    """A certificate of attendance, issued once a registration completed its training.

    Its verification code, printed on the PDF, lets anyone check it; revoking it, or
    anonymising the registration, makes the code answer that it is no longer valid.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    code: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisers.id"))

    registration: Mapped[Registration] = relationship()
