"""The manage and calendar tokens of a registration, derived as the services derive them,
under the secret key the test apps share (nothing stores them)."""

from __future__ import annotations

from shared.models import Registration
from shared.tokens import registration_token

TEST_SECRET = "test-secret"


def manage_token(registration: Registration, secret: str = TEST_SECRET) -> str:
    """The token of the registration's manage link."""
    return registration_token(secret, "manage", registration.id, registration.manage_token_version)


def calendar_token(registration: Registration, secret: str = TEST_SECRET) -> str:
    """The token of the registration's personal calendar feed."""
    return registration_token(
        secret, "calendar", registration.id, registration.calendar_token_version
    )
