"""The organiser JSON API, behind a personal Bearer token."""

from services.registration.organiser.api import accounts, evaluations, events, rosters

__all__ = ["accounts", "evaluations", "events", "rosters"]
