"""Where groups meet and who runs them: venues with their rooms, trainers with the ranges in
which they cannot teach.

Owner: the registration service.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import Base, UTCDateTime, utcnow

# Who runs a group's dates: zero or more trainers per group.
group_trainers = Table(
    "group_trainers",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("trainer_id", ForeignKey("trainers.id"), primary_key=True, index=True),
)


class Venue(Base):
    """A place where groups meet: its address, position and access notes in each language."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    street_address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(20))
    town: Mapped[str] = mapped_column(String(120))
    town_slug: Mapped[str] = mapped_column(String(120), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    access_notes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="venue", order_by="Room.name", cascade="all, delete-orphan"
    )

    @property
    def address(self) -> str:
        """Street, postcode and town on one line."""
        return f"{self.street_address}, {self.postcode} {self.town}"


class Room(Base):
    """A room of a venue and how many people it seats."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int | None] = mapped_column(Integer)

    venue: Mapped[Venue] = relationship(back_populates="rooms")


class Trainer(Base):
    """Someone who runs sessions; not necessarily an organiser account."""

    __tablename__ = "trainers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Raised to replace the link of the trainer's feed (shared.domain.staff_feeds).
    feed_token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unavailabilities: Mapped[list[TrainerUnavailability]] = relationship(
        back_populates="trainer",
        order_by="TrainerUnavailability.starts_at",
        cascade="all, delete-orphan",
    )


class TrainerUnavailability(Base):
    """A range of time in which a trainer cannot run a session."""

    __tablename__ = "trainer_unavailabilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(
        ForeignKey("trainers.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")

    trainer: Mapped[Trainer] = relationship(back_populates="unavailabilities")
