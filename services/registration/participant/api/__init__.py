"""The public JSON API: events, their groups and availability; registrations by manage token;
certificates of attendance."""

from services.registration.participant.api import certificates, events, registrations

__all__ = ["certificates", "events", "registrations"]
