"""The organiser JSON API, behind a personal Bearer token."""

from services.registration.organiser.api import evaluations, events, rosters

__all__ = ["evaluations", "events", "rosters"]
