"""The organiser area's pages, behind the login session."""

from services.registration.organiser.pages import (
    editing,
    evaluations,
    journal,
    messages,
    registration_questions,
    rosters,
)

__all__ = ["editing", "evaluations", "journal", "messages", "registration_questions", "rosters"]
