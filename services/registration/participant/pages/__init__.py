"""Participant pages: find a session, register, see and cancel one's own registration."""

from services.registration.participant.pages import events, language, manage

__all__ = ["events", "language", "manage"]
