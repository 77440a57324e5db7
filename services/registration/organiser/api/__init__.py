"""The organiser JSON API, behind a personal Bearer token."""

from services.registration.organiser.api import (
    evaluations,
    events,
    messages,
    registration_questions,
    rosters,
)

__all__ = ["evaluations", "events", "messages", "registration_questions", "rosters"]
