"""Participant pages: find a session, register, see and cancel one's own registration, check
a certificate of attendance, evaluate a training."""

from services.registration.participant.pages import (
    certificates,
    evaluations,
    events,
    language,
    manage,
)

__all__ = ["certificates", "evaluations", "events", "language", "manage"]
