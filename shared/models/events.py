"""Events, their groups (one cohort at one venue) and the groups' session dates.

Owner: the registration service.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import Base, UTCDateTime, str_enum, utcnow
from shared.i18n import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from shared.models.evaluations import EvaluationQuestion
    from shared.models.organisers import Organiser
    from shared.models.registration_questions import RegistrationQuestion
    from shared.models.registrations import Registration
    from shared.models.venues import Room, Trainer, Venue


class EventKind(enum.StrEnum):
    """What kind of gathering an event is."""

    WORKSHOP = "workshop"
    INFORMATION_SESSION = "information_session"
    DROP_IN = "drop_in"


class AttendanceRule(enum.StrEnum):
    """What a registration commits to: every date of its group, one date, or nothing (drop-in)."""

    ALL_DATES = "all_dates"
    ONE_DATE = "one_date"
    NO_REGISTRATION = "no_registration"


class Event(Base):
    """A training, information session or office hours, its texts in each language."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    prerequisites: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "event_kind"))
    attendance_rule: Mapped[AttendanceRule] = mapped_column(
        str_enum(AttendanceRule, "attendance_rule")
    )
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    organiser_contact: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    # Printed on certificates of attendance: who organised the training and who signs.
    issuer: Mapped[str] = mapped_column(String(200), default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_role: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Hours a new registration has to be confirmed from its email before its place is
    # released; None: a registration counts at once (shared.domain.confirmation).
    confirmation_hours: Mapped[int | None] = mapped_column(Integer)
    # How many registration questions new registrations are asked (kept by
    # shared.domain.registration_questions): registering reads them only if there are some.
    asked_questions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A draft (False) is seen by its organisers only: shared.domain.listing.public_clause.
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    groups: Mapped[list[Group]] = relationship(
        back_populates="event", order_by="Group.position", cascade="all, delete-orphan"
    )
    organisers: Mapped[list[Organiser]] = relationship(
        secondary="event_organisers", back_populates="events"
    )
    # Empty until the questionnaire is first edited or sent: the default one applies.
    questions: Mapped[list[EvaluationQuestion]] = relationship(
        back_populates="event",
        order_by="EvaluationQuestion.position",
        cascade="all, delete-orphan",
    )
    registration_questions: Mapped[list[RegistrationQuestion]] = relationship(
        back_populates="event",
        order_by="RegistrationQuestion.position",
        cascade="all, delete-orphan",
    )

    def localized(self, field: str, language: str) -> str:
        """Return a translated text field in ``language``, falling back to French."""
        texts: dict[str, Any] = getattr(self, field) or {}
        return texts.get(self.language_of(field, language)) or ""

    def language_of(self, field: str, language: str) -> str:
        """The language :meth:`localized` shows the field in: ``language`` if written in it,
        else French."""
        texts: dict[str, Any] = getattr(self, field) or {}
        return language if texts.get(language) else DEFAULT_LANGUAGE


class Group(Base):
    """One run of an event in one place, with its own dates and number of places."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("event_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    venue_name: Mapped[str] = mapped_column(String(200))
    street_address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(20))
    town: Mapped[str] = mapped_column(String(120))
    town_slug: Mapped[str] = mapped_column(String(120), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    capacity: Mapped[int | None] = mapped_column(Integer)
    # The venue record the address above was taken from (shared.domain.venues), and the room.
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an organiser closes the group after its last date: certificates go out once.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every write that changes what the group shows (dates, venue, seats):
    # the calendar service keys its cached feeds on it.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="groups")
    dates: Mapped[list[SessionDate]] = relationship(
        back_populates="group", order_by="SessionDate.starts_at", cascade="all, delete-orphan"
    )
    registrations: Mapped[list[Registration]] = relationship(back_populates="group")
    venue: Mapped[Venue | None] = relationship()
    room: Mapped[Room | None] = relationship()
    trainers: Mapped[list[Trainer]] = relationship(
        secondary="group_trainers", order_by="Trainer.name"
    )

    @property
    def address(self) -> str:
        """Street, postcode and town on one line."""
        return f"{self.street_address}, {self.postcode} {self.town}"

    # confirmed_count and waitlist_length are column properties loaded with the group,
    # declared beside Registration in shared.models.registrations.

    @property
    def is_cancelled(self) -> bool:
        """Whether the whole group was called off."""
        return self.cancelled_at is not None


class SessionDate(Base):
    """One date of a group; its sequence counts changes, for calendar clients."""

    __tablename__ = "session_dates"
    # Recurring office hours are coming whenever they began: listings find them by this
    # index, as they find the dates of one day by their start.
    __table_args__ = (
        Index(
            "ix_session_dates_recurring",
            "starts_at",
            postgresql_where=text("recurrence_rule IS NOT NULL"),
            sqlite_where=text("recurrence_rule IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # An RFC 5545 RRULE value (e.g. "FREQ=WEEKLY;BYDAY=WE") for recurring office hours,
    # with the local dates on which they do not take place.
    recurrence_rule: Mapped[str | None] = mapped_column(String(200))
    excluded_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    # iCalendar SEQUENCE: increases on every change of time or place.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # People who came to a held drop-in date (no registration), counted by an organiser.
    headcount: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    group: Mapped[Group] = relationship(back_populates="dates")

    @property
    def excluded(self) -> list[date]:
        """The closures of a recurring date, as dates."""
        return [date.fromisoformat(day) for day in self.excluded_dates or []]
