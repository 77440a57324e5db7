"""Organiser accounts, their API tokens and login sessions, which events they run, and the
audit log (invitations, password resets and recovery codes: shared.models.accounts).

Owner: the registration service.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from shared.models.events import Event
    from shared.models.registrations import Registration

event_organisers = Table(
    "event_organisers",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("organiser_id", ForeignKey("organisers.id", ondelete="CASCADE"), primary_key=True),
)


class Organiser(Base):
    """A person who runs events: logs in to the organiser area, holds API tokens."""

    __tablename__ = "organisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A deactivated account signs in no more; its sessions and tokens stop at once.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written into each login session's cookie and compared by the guard: raising it (a new
    # password, a deactivation) ends every session opened before.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # The TOTP secret (base32), set at enrolment; two-factor sign-in is on once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The time step of the last code accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Raised to replace the link of the organiser's planning feed (shared.domain.staff_feeds).
    feed_token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    events: Mapped[list[Event]] = relationship(
        secondary=event_organisers, back_populates="organisers"
    )
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="organiser", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        """Whether the account may sign in and use its tokens."""
        return self.deactivated_at is None

    @property
    def has_two_factor(self) -> bool:
        """Whether signing in asks for a TOTP code after the password."""
        return self.totp_confirmed_at is not None


class ApiToken(Base):
    """A personal Bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organisers.id", ondelete="CASCADE"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # To the minute (see shared.access): enough to tell a token in use from a forgotten one.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Chosen at creation (shared.domain.accounts): a forgotten token stops by itself.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organiser: Mapped[Organiser] = relationship(back_populates="tokens")


class OrganiserSession(Base):
    """A login session, kept on the server so that it can be ended: the cookie carries a
    random id, the row only its digest. Logging out, a new password, a reset, a second-factor
    reset and a deactivation delete rows; a session also ends at ``expires_at``, however
    active."""

    __tablename__ = "organiser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    id_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who did what to which registration or event, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("organisers.id"))
    action: Mapped[str] = mapped_column(String(60))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organiser: Mapped[Organiser | None] = relationship()
    event: Mapped[Event | None] = relationship()
    registration: Mapped[Registration | None] = relationship()
