"""The public JSON API: events, their groups and availability; registrations by manage token."""

from services.registration.participant.api import events, registrations

__all__ = ["events", "registrations"]
