"""The registration service is the app under test here."""

import pytest
from flask import Flask


@pytest.fixture
def app(registration_app: Flask) -> Flask:
    """The registration service."""
    return registration_app
