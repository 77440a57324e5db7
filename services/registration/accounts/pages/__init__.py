"""The accounts' pages: signing in and out, passwords, one's account and second factor,
invitations and teams, every account for administrators."""

from services.registration.accounts.pages import account, login, passwords, team

__all__ = ["account", "login", "passwords", "team"]
