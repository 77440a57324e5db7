"""Venues, rooms and trainers as records: a group takes its address from its venue, a venue
edited moves the open groups that meet there, and nothing still in use is deleted.

A group keeps the address it shows (feeds, emails and certificates read it), taken from its
venue through :func:`use_venue` and :func:`follow_venue`, the only writers of it; a closed
group keeps the address its certificates were issued for. The functions flush and never
commit.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.domain import schedule
from shared.errors import DomainError, InvalidRequest
from shared.models import Event, Group, Room, Trainer, Venue, group_trainers
from shared.slugs import slugify


class InUse(DomainError):
    """A venue, room or trainer still used by groups cannot be deleted."""

    code = "in_use"
    default_message = _l("Encore utilisé par des groupes : retirez-le d'abord de ceux-ci.")


def group_address(venue: Venue) -> dict[str, Any]:
    """The address fields a group meeting at ``venue`` shows."""
    return {
        "venue_name": venue.name,
        "street_address": venue.street_address,
        "postcode": venue.postcode,
        "town": venue.town,
        "town_slug": venue.town_slug,
        "latitude": venue.latitude,
        "longitude": venue.longitude,
    }


def venue_for_address(session: Session, address: dict[str, Any]) -> Venue:
    """The venue at this address (name, street, postcode, town), made if there is none: a
    group given an address as text still meets at a venue record."""
    venue = session.scalar(
        select(Venue)
        .where(
            Venue.name == address["venue_name"],
            Venue.street_address == address["street_address"],
            Venue.postcode == address["postcode"],
            Venue.town == address["town"],
        )
        .order_by(Venue.id)
        .limit(1)
    )
    if venue is None:
        venue = Venue(
            name=address["venue_name"],
            street_address=address["street_address"],
            postcode=address["postcode"],
            town=address["town"],
            town_slug=address.get("town_slug") or slugify(address["town"]),
            latitude=address.get("latitude"),
            longitude=address.get("longitude"),
        )
        session.add(venue)
        session.flush()
    return venue


def check_room(venue: Venue, room: Room | None, capacity: int | None = None) -> None:
    """Refuse (422) a room of another venue, or more places than the room seats."""
    if room is None:
        return
    if room.venue_id != venue.id:
        raise InvalidRequest(errors={"room": [_l("Cette salle n'est pas dans ce lieu.")]})
    if None not in (capacity, room.capacity) and capacity > room.capacity:
        message = _l("Plus de places que la salle n'en compte (%(seats)s).", seats=room.capacity)
        raise InvalidRequest(errors={"capacity": [message]})


def use_venue(session: Session, group: Group, venue: Venue, room: Room | None = None) -> bool:
    """Have a group meet at ``venue`` (in ``room``); a new address is sent to its
    participants. Returns whether the address changed."""
    check_room(venue, room, group.capacity)
    group.venue = venue
    group.room = room
    return schedule.change_venue(session, group, **group_address(venue))


def follow_venue(session: Session, venue: Venue) -> list[Group]:
    """After a venue's address changed, move its open groups there (their participants are
    told); closed groups keep the address of their certificates. Returns those moved."""
    groups = list(
        session.scalars(
            select(Group)
            .where(Group.venue_id == venue.id, Group.closed_at.is_(None))
            .order_by(Group.id)
        )
    )
    return [g for g in groups if schedule.change_venue(session, g, **group_address(venue))]


def follow_room(session: Session, room: Room) -> None:
    """After a room was renamed, mark the groups meeting in it changed: the feeds that name
    it (trainers', planning) are rebuilt and answer with a new version."""
    session.execute(
        update(Group).where(Group.room_id == room.id).values(revision=Group.revision + 1)
    )


def _uses(session: Session, condition: Any, *joins: Any) -> list[str]:
    query = select(Event.slug, Group.slug).join(Group.event)
    for target, on in joins:
        query = query.join(target, on)
    rows = session.execute(query.where(condition).order_by(Event.slug, Group.slug))
    return [f"{event}/{group}" for event, group in rows]


def delete_venue(session: Session, venue: Venue) -> None:
    """Delete a venue and its rooms; refused (409) while a group meets there."""
    _refuse_if_used(_uses(session, Group.venue_id == venue.id))
    session.delete(venue)
    session.flush()


def delete_room(session: Session, room: Room) -> None:
    """Delete a room; refused (409) while a group meets in it."""
    _refuse_if_used(_uses(session, Group.room_id == room.id))
    session.delete(room)
    session.flush()


def delete_trainer(session: Session, trainer: Trainer) -> None:
    """Delete a trainer; refused (409) while they run a group."""
    used = _uses(
        session,
        group_trainers.c.trainer_id == trainer.id,
        (group_trainers, group_trainers.c.group_id == Group.id),
    )
    _refuse_if_used(used)
    session.delete(trainer)
    session.flush()


def _refuse_if_used(groups: list[str]) -> None:
    if groups:
        raise InUse(errors={"groups": groups})
