"""The organiser area's pages, behind the login session."""

from services.registration.organiser.pages import editing, login, rosters

__all__ = ["editing", "login", "rosters"]
