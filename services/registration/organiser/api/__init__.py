"""The organiser JSON API, behind a personal Bearer token."""

from services.registration.organiser.api import events, rosters

__all__ = ["events", "rosters"]
