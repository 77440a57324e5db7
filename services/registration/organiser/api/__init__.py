"""The organiser JSON API, behind a personal Bearer token."""

from services.registration.organiser.api import (
    checkins,
    evaluations,
    events,
    messages,
    places,
    planning,
    registration_questions,
    reports,
    rosters,
)

__all__ = [
    "checkins",
    "evaluations",
    "events",
    "messages",
    "places",
    "planning",
    "registration_questions",
    "reports",
    "rosters",
]
