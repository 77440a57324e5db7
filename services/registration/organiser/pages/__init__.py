"""The organiser area's pages, behind the login session."""

from services.registration.organiser.pages import editing, evaluations, login, rosters

__all__ = ["editing", "evaluations", "login", "rosters"]
