"""Shared rules are exercised through the registration service's app."""

import pytest
from flask import Flask


@pytest.fixture
def app(registration_app: Flask) -> Flask:
    """The registration service."""
    return registration_app
