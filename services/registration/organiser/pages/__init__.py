"""The organiser area's pages, behind the login session."""

from services.registration.organiser.pages import (
    checkins,
    editing,
    evaluations,
    journal,
    messages,
    places,
    registration_questions,
    reports,
    rosters,
    team,
)

__all__ = [
    "checkins",
    "editing",
    "evaluations",
    "journal",
    "messages",
    "places",
    "registration_questions",
    "reports",
    "rosters",
    "team",
]
