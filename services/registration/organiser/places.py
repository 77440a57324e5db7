"""What organisers do with venues, rooms and trainers, as plain functions that flush and
never commit; each change is written to the journal with who did it. Venues and trainers
belong to no event: every organiser may manage them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration import audit
from shared.domain import schedule, staff_feeds, venues
from shared.errors import NotFound
from shared.models import Organiser, Room, Trainer, TrainerUnavailability, Venue
from shared.slugs import slugify

VENUE_FIELDS = ("name", "street_address", "postcode", "town", "latitude", "longitude")
TRAINER_FIELDS = ("name", "email", "phone", "languages")


def all_venues(session: Session) -> list[Venue]:
    """Every venue, by town then name."""
    return list(session.scalars(select(Venue).order_by(Venue.town, Venue.name, Venue.id)))


def all_trainers(session: Session) -> list[Trainer]:
    """Every trainer, by name."""
    return list(session.scalars(select(Trainer).order_by(Trainer.name, Trainer.id)))


def find_venue(session: Session, venue_id: int) -> Venue:
    """The venue with this id, or 404."""
    return _found(session.get(Venue, venue_id), "venue")


def find_room(venue: Venue, room_id: int) -> Room:
    """The venue's room with this id, or 404."""
    return _found(next((r for r in venue.rooms if r.id == room_id), None), "room")


def find_trainer(session: Session, trainer_id: int) -> Trainer:
    """The trainer with this id, or 404."""
    return _found(session.get(Trainer, trainer_id), "trainer")


def _found(row: Any, field: str) -> Any:
    if row is None:
        raise NotFound(errors={field: [NotFound.default_message]})
    return row


def create_venue(session: Session, by: Organiser, data: dict[str, Any]) -> Venue:
    """Record a venue."""
    venue = Venue(
        **{k: data[k] for k in VENUE_FIELDS if k in data},
        town_slug=slugify(data["town"]),
        access_notes=data.get("access_notes", {}),
    )
    session.add(venue)
    session.flush()
    audit.record(session, by, "venue.created", venue_id=venue.id, name=venue.name)
    return venue


def update_venue(session: Session, by: Organiser, venue: Venue, data: dict[str, Any]) -> Venue:
    """Change a venue; its open groups move with it and their participants are told."""
    changed = sorted(k for k in (*VENUE_FIELDS, "access_notes") if k in data)
    changed = [k for k in changed if getattr(venue, k) != data[k]]
    for key in changed:
        setattr(venue, key, data[key])
    if "town" in changed:
        venue.town_slug = slugify(venue.town)
    if changed:
        moved = venues.follow_venue(session, venue)
        audit.record(
            session,
            by,
            "venue.updated",
            venue_id=venue.id,
            fields=changed,
            groups_moved=[g.id for g in moved],
        )
    return venue


def delete_venue(session: Session, by: Organiser, venue: Venue) -> None:
    """Delete a venue no group meets at."""
    venues.delete_venue(session, venue)
    audit.record(session, by, "venue.deleted", venue_id=venue.id, name=venue.name)


def add_room(session: Session, by: Organiser, venue: Venue, data: dict[str, Any]) -> Room:
    """Add a room to a venue."""
    room = Room(venue=venue, name=data["name"], capacity=data.get("capacity"))
    session.add(room)
    session.flush()
    audit.record(session, by, "room.created", venue_id=venue.id, room_id=room.id, name=room.name)
    return room


def update_room(session: Session, by: Organiser, room: Room, data: dict[str, Any]) -> Room:
    """Rename a room or change how many it seats."""
    changed = sorted(k for k in ("name", "capacity") if k in data and getattr(room, k) != data[k])
    for key in changed:
        setattr(room, key, data[key])
    if changed:
        session.flush()
        if "name" in changed:
            venues.follow_room(session, room)
        audit.record(session, by, "room.updated", room_id=room.id, fields=changed)
    return room


def delete_room(session: Session, by: Organiser, room: Room) -> None:
    """Delete a room no group meets in."""
    venues.delete_room(session, room)
    audit.record(session, by, "room.deleted", room_id=room.id, name=room.name)


def create_trainer(session: Session, by: Organiser, data: dict[str, Any]) -> Trainer:
    """Record a trainer."""
    trainer = Trainer(**{k: data[k] for k in TRAINER_FIELDS if k in data})
    session.add(trainer)
    session.flush()
    audit.record(session, by, "trainer.created", trainer_id=trainer.id, name=trainer.name)
    return trainer


def update_trainer(
    session: Session, by: Organiser, trainer: Trainer, data: dict[str, Any]
) -> Trainer:
    """Change a trainer's name, address, phone or languages."""
    changed = sorted(k for k in TRAINER_FIELDS if k in data and getattr(trainer, k) != data[k])
    for key in changed:
        setattr(trainer, key, data[key])
    if changed:
        session.flush()
        audit.record(session, by, "trainer.updated", trainer_id=trainer.id, fields=changed)
    return trainer


def delete_trainer(session: Session, by: Organiser, trainer: Trainer) -> None:
    """Delete a trainer who runs no group."""
    venues.delete_trainer(session, trainer)
    audit.record(session, by, "trainer.deleted", trainer_id=trainer.id, name=trainer.name)


def send_trainer_feed(session: Session, by: Organiser, trainer: Trainer, *, renew: bool) -> None:
    """Email the trainer the link of their feed; with ``renew`` a new one, the old link
    answering 410 from now."""
    staff_feeds.send_trainer_feed(session, trainer, renew=renew)
    action = "trainer.feed_renewed" if renew else "trainer.feed_sent"
    audit.record(session, by, action, trainer_id=trainer.id, name=trainer.name)


def add_unavailability(
    session: Session, by: Organiser, trainer: Trainer, data: dict[str, Any]
) -> TrainerUnavailability:
    """Record a range in which a trainer cannot run a session."""
    schedule.check_times(data["start"], data["end"], longest=None)
    unavailable = TrainerUnavailability(
        trainer=trainer, starts_at=data["start"], ends_at=data["end"], note=data.get("note", "")
    )
    session.add(unavailable)
    session.flush()
    audit.record(
        session,
        by,
        "trainer.unavailable",
        trainer_id=trainer.id,
        start=unavailable.starts_at.isoformat(),
        end=unavailable.ends_at.isoformat(),
    )
    return unavailable


def remove_unavailability(
    session: Session, by: Organiser, trainer: Trainer, unavailability_id: int
) -> None:
    """Remove one of a trainer's unavailabilities."""
    unavailable = _found(
        next((u for u in trainer.unavailabilities if u.id == unavailability_id), None),
        "unavailability",
    )
    session.delete(unavailable)
    session.flush()
    audit.record(session, by, "trainer.available", trainer_id=trainer.id)
