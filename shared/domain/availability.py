"""What a group offers a newcomer at a given moment: places, a waiting list, or nothing,
with the registration window's reason when closed. The participant pages and every calendar
feed ask this module, so a feed never offers what the form refuses."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from shared.domain.capacity import places_left
from shared.domain.registrations import check_registration_window
from shared.errors import RegistrationClosed
from shared.models import Event, Group


class Availability(enum.StrEnum):
    """What a group offers a newcomer right now."""

    PLACES_LEFT = "places_left"  # registering confirms a place
    WAITING_LIST = "waiting_list"  # full, but registering joins the waiting list
    FULL = "full"  # full and registration has closed
    CLOSED = "closed"  # registration not open (not yet, over, or the group was cancelled)


@dataclass(frozen=True)
class GroupAvailability:
    """A group's availability, its free places (None: no limit) and, when closed, why."""

    availability: Availability
    places_left: int | None
    reason: str | None = None

    @property
    def accepts_registrations(self) -> bool:
        """Whether a registration would be taken now (a place or the waiting list)."""
        return self.availability in (Availability.PLACES_LEFT, Availability.WAITING_LIST)


def group_availability(event: Event, group: Group, now: datetime) -> GroupAvailability:
    """What the group offers at ``now``: the registration window first, then its places."""
    seats = places_left(group)
    try:
        check_registration_window(event, group, now)
    except RegistrationClosed as closed:
        shut = Availability.FULL if seats == 0 else Availability.CLOSED
        return GroupAvailability(shut, seats, str(closed.message))
    if seats == 0:
        return GroupAvailability(Availability.WAITING_LIST, seats)
    return GroupAvailability(Availability.PLACES_LEFT, seats)
