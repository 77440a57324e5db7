"""The organiser area's pages, behind the login session."""

from services.registration.organiser.pages import (
    account,
    editing,
    evaluations,
    journal,
    login,
    passwords,
    rosters,
    team,
)

__all__ = ["account", "editing", "evaluations", "journal", "login", "passwords", "rosters", "team"]
