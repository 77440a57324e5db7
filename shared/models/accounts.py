"""What organiser accounts are made and recovered with: invitations to events, password reset
links and two-factor recovery codes. No table holds a link's token: each row keeps a nonce the
token is derived from with the secret key, and the token's digest (shared.domain.accounts).

Owner: the registration service.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ColumnElement, ForeignKey, String, Table, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import Base, UTCDateTime, utcnow
from shared.i18n import DEFAULT_LANGUAGE
from shared.models.events import Event
from shared.models.organisers import Organiser

invitation_events = Table(
    "organiser_invitation_events",
    Base.metadata,
    Column(
        "invitation_id",
        ForeignKey("organiser_invitations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
)


class OrganiserInvitation(Base):
    """An invitation by email to organise events: its link opens an account on them."""

    __tablename__ = "organiser_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    # The language of the email and of the page the link opens.
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE)
    nonce: Mapped[str] = mapped_column(String(64))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invited_by: Mapped[Organiser | None] = relationship()
    events: Mapped[list[Event]] = relationship(secondary=invitation_events)

    def is_pending(self, now: datetime) -> bool:
        """Whether the link still opens an account: neither used, withdrawn nor expired."""
        return self.accepted_at is None and self.withdrawn_at is None and now < self.expires_at

    @classmethod
    def pending(cls, now: datetime) -> ColumnElement[bool]:
        """:meth:`is_pending` as an SQL condition."""
        return and_(cls.accepted_at.is_(None), cls.withdrawn_at.is_(None), cls.expires_at > now)


class PasswordReset(Base):
    """A password reset link sent to an organiser: single use, short-lived."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE)
    nonce: Mapped[str] = mapped_column(String(64))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organiser: Mapped[Organiser] = relationship()

    def is_pending(self, now: datetime) -> bool:
        """Whether the link still sets a password: unused, unexpired, its account active."""
        return self.used_at is None and now < self.expires_at and self.organiser.is_active


class RecoveryCode(Base):
    """One single-use code that stands in for a TOTP code; only a keyed digest is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    code_digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
