"""Organiser API: venues with their rooms, trainers with their unavailabilities. Deleting one
still in use is refused (409) with the groups that use it."""

from __future__ import annotations

from typing import Any

from services.registration.area import api_blueprint
from services.registration.organiser import places
from services.registration.organiser.schemas.places import (
    ConflictQuerySchema,
    ConflictSchema,
    OrganiserRoomSchema,
    OrganiserTrainerSchema,
    OrganiserUnavailabilitySchema,
    OrganiserVenueSchema,
    RoomInputSchema,
    RoomUpdateSchema,
    TrainerFeedInputSchema,
    TrainerFeedSchema,
    TrainerInputSchema,
    TrainerUpdateSchema,
    UnavailabilityInputSchema,
    VenueInputSchema,
    VenueUpdateSchema,
)
from shared.access import current_organiser
from shared.database import db
from shared.domain.listing import day_bounds
from shared.domain.schedule import standing_clashes
from shared.models import Room, Trainer, TrainerUnavailability, Venue

bp = api_blueprint(
    "organiser_places",
    __name__,
    "Organisers: venues, rooms, trainers and the clashes between dates",
)


@bp.route("/venues", methods=["GET"])
@bp.response(200, OrganiserVenueSchema(many=True))
def venues() -> list[Venue]:
    """Every venue with its rooms, by town."""
    return places.all_venues(db.session)


@bp.route("/venues", methods=["POST"])
@bp.arguments(VenueInputSchema)
@bp.response(201, OrganiserVenueSchema)
def create_venue(data: dict[str, Any]) -> Venue:
    """Record a venue."""
    return places.create_venue(db.session, current_organiser(), data)


@bp.route("/venues/<int:venue_id>", methods=["GET"])
@bp.response(200, OrganiserVenueSchema)
def venue(venue_id: int) -> Venue:
    """One venue with its rooms."""
    return places.find_venue(db.session, venue_id)


@bp.route("/venues/<int:venue_id>", methods=["PATCH"])
@bp.arguments(VenueUpdateSchema(partial=True))
@bp.response(200, OrganiserVenueSchema)
def update_venue(data: dict[str, Any], venue_id: int) -> Venue:
    """Change a venue; the open groups meeting there move with it, their participants told."""
    venue = places.find_venue(db.session, venue_id)
    return places.update_venue(db.session, current_organiser(), venue, data)


@bp.route("/venues/<int:venue_id>", methods=["DELETE"])
@bp.response(204)
def delete_venue(venue_id: int) -> None:
    """Delete a venue and its rooms; 409 while a group meets there."""
    venue = places.find_venue(db.session, venue_id)
    places.delete_venue(db.session, current_organiser(), venue)


@bp.route("/venues/<int:venue_id>/rooms", methods=["POST"])
@bp.arguments(RoomInputSchema)
@bp.response(201, OrganiserRoomSchema)
def add_room(data: dict[str, Any], venue_id: int) -> Room:
    """Add a room to a venue."""
    venue = places.find_venue(db.session, venue_id)
    return places.add_room(db.session, current_organiser(), venue, data)


@bp.route("/venues/<int:venue_id>/rooms/<int:room_id>", methods=["PATCH"])
@bp.arguments(RoomUpdateSchema(partial=True))
@bp.response(200, OrganiserRoomSchema)
def update_room(data: dict[str, Any], venue_id: int, room_id: int) -> Room:
    """Rename a room or change how many it seats."""
    room = places.find_room(places.find_venue(db.session, venue_id), room_id)
    return places.update_room(db.session, current_organiser(), room, data)


@bp.route("/venues/<int:venue_id>/rooms/<int:room_id>", methods=["DELETE"])
@bp.response(204)
def delete_room(venue_id: int, room_id: int) -> None:
    """Delete a room; 409 while a group meets in it."""
    room = places.find_room(places.find_venue(db.session, venue_id), room_id)
    places.delete_room(db.session, current_organiser(), room)


@bp.route("/trainers", methods=["GET"])
@bp.response(200, OrganiserTrainerSchema(many=True))
def trainers() -> list[Trainer]:
    """Every trainer with their unavailabilities, by name."""
    return places.all_trainers(db.session)


@bp.route("/trainers", methods=["POST"])
@bp.arguments(TrainerInputSchema)
@bp.response(201, OrganiserTrainerSchema)
def create_trainer(data: dict[str, Any]) -> Trainer:
    """Record a trainer."""
    return places.create_trainer(db.session, current_organiser(), data)


@bp.route("/trainers/<int:trainer_id>", methods=["GET"])
@bp.response(200, OrganiserTrainerSchema)
def trainer(trainer_id: int) -> Trainer:
    """One trainer with their unavailabilities."""
    return places.find_trainer(db.session, trainer_id)


@bp.route("/trainers/<int:trainer_id>", methods=["PATCH"])
@bp.arguments(TrainerUpdateSchema(partial=True))
@bp.response(200, OrganiserTrainerSchema)
def update_trainer(data: dict[str, Any], trainer_id: int) -> Trainer:
    """Change a trainer's name, address, phone or languages."""
    trainer = places.find_trainer(db.session, trainer_id)
    return places.update_trainer(db.session, current_organiser(), trainer, data)


@bp.route("/trainers/<int:trainer_id>", methods=["DELETE"])
@bp.response(204)
def delete_trainer(trainer_id: int) -> None:
    """Delete a trainer; 409 while they run a group."""
    trainer = places.find_trainer(db.session, trainer_id)
    places.delete_trainer(db.session, current_organiser(), trainer)


@bp.route("/trainers/<int:trainer_id>/feed", methods=["POST"])
@bp.arguments(TrainerFeedInputSchema)
@bp.response(202, TrainerFeedSchema)
def send_trainer_feed(data: dict[str, Any], trainer_id: int) -> dict[str, Any]:
    """Email the trainer the link of their feed of dates, once this request commits; with
    ``renew`` (the default) a new link, the old one answering 410 from now."""
    trainer = places.find_trainer(db.session, trainer_id)
    places.send_trainer_feed(db.session, current_organiser(), trainer, renew=data["renew"])
    return {"trainer": trainer.id, "renewed": data["renew"], "sent_to": trainer.email}


@bp.route("/trainers/<int:trainer_id>/unavailabilities", methods=["POST"])
@bp.arguments(UnavailabilityInputSchema)
@bp.response(201, OrganiserUnavailabilitySchema)
def add_unavailability(data: dict[str, Any], trainer_id: int) -> TrainerUnavailability:
    """Record a range in which the trainer cannot run a session."""
    trainer = places.find_trainer(db.session, trainer_id)
    return places.add_unavailability(db.session, current_organiser(), trainer, data)


@bp.route("/trainers/<int:trainer_id>/unavailabilities/<int:unavailability_id>", methods=["DELETE"])
@bp.response(204)
def remove_unavailability(trainer_id: int, unavailability_id: int) -> None:
    """Remove one of the trainer's unavailabilities."""
    trainer = places.find_trainer(db.session, trainer_id)
    places.remove_unavailability(db.session, current_organiser(), trainer, unavailability_id)


@bp.route("/conflicts", methods=["GET"])
@bp.arguments(ConflictQuerySchema, location="query")
@bp.response(200, ConflictSchema(many=True))
def conflicts(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Every clash standing now between held dates from ``from`` to ``to`` (Brussels days,
    both included), for instance after a forced booking: each date with what it meets."""
    found = standing_clashes(db.session, *day_bounds(args["since"], args["until"]))
    return [{"date": held, "clash": clash} for held, clash in found]
