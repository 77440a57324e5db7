"""The accounts JSON API, behind a personal Bearer token."""

from services.registration.accounts.api import accounts

__all__ = ["accounts"]
