"""Participant pages: find a session, register, see and cancel one's own registration, check
a certificate of attendance."""

from services.registration.participant.pages import certificates, events, language, manage

__all__ = ["certificates", "events", "language", "manage"]
