"""Every public address of a page that is written outside the request serving it: into an
email, a calendar entry, a certificate, or by one service about another's pages.

Each is joined here to the service's base address from the configuration
(``REGISTRATION_BASE_URL``, ``CALENDAR_BASE_URL``); tests/shared/test_links.py proves that
each one reaches a route of the right service.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app


def registration_address(path: str, **query: str) -> str:
    """The public address of ``path`` on the registration service."""
    return _address("REGISTRATION_BASE_URL", path, query)


def calendar_address(path: str, **query: str) -> str:
    """The public address of ``path`` on the calendar service."""
    return _address("CALENDAR_BASE_URL", path, query)


def _address(base_setting: str, path: str, query: dict[str, str]) -> str:
    base = str(current_app.config[base_setting]).rstrip("/")
    return f"{base}{path}?{urlencode(query)}" if query else f"{base}{path}"


def event_page(event_slug: str) -> str:
    """The event's public page, where people register."""
    return registration_address(f"/events/{event_slug}")


def manage_page(manage_token: str) -> str:
    """Where a participant sees, changes or cancels their registration."""
    return registration_address(f"/manage/{manage_token}")


def registration_confirmation(token: str, language: str) -> str:
    """Where a participant confirms from their email a registration the event asked them to,
    opening in their language."""
    return registration_address(f"/confirm/{token}", lang=language)


def evaluation_page(token: str, language: str) -> str:
    """A participant's personal link to the evaluation, opening in their language."""
    return registration_address(f"/evaluations/{token}", lang=language)


def certificate_check(code: str) -> str:
    """Where anyone checks a certificate by its code."""
    return registration_address(f"/certificates/{code}")


def account_invitation(token: str, language: str) -> str:
    """Where an invited organiser sets up their account, in their language."""
    return registration_address(f"/organiser/invitations/{token}", lang=language)


def password_reset(token: str, language: str) -> str:
    """Where an organiser chooses a new password, in their language."""
    return registration_address(f"/organiser/password/reset/{token}", lang=language)


def group_calendar(group_id: int) -> str:
    """The .ics of every date of one group."""
    return calendar_address(f"/sessions/{group_id}.ics")


def personal_feed(calendar_token: str) -> str:
    """A participant's own calendar feed."""
    return calendar_address(f"/feeds/personal/{calendar_token}.ics")


def trainer_feed(token: str, language: str) -> str:
    """A trainer's own feed of the dates they run, in their language."""
    return calendar_address(f"/feeds/trainers/{token}.ics", lang=language)


def planning_feed(token: str, language: str) -> str:
    """An organiser's planning feed, in their language."""
    return calendar_address(f"/feeds/planning/{token}.ics", lang=language)
