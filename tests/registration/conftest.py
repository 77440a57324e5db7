"""The registration service is the app under test here."""

import pytest
from flask import Flask

from tests.support.servers import serving


@pytest.fixture
def app(registration_app: Flask) -> Flask:
    """The registration service."""
    return registration_app


@pytest.fixture
def registration_server(committed_database, redis_server, tmp_path):
    """The registration service under gunicorn (2 processes × 4 threads) on a free port."""
    env = {
        "DATABASE_URL": committed_database,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": "test-secret",
        # 200 simultaneous requests queue for one group's lock; allow them the time.
        "DATABASE_LOCK_TIMEOUT_MS": "30000",
    }
    with serving("services.registration", env, tmp_path / "gunicorn.log") as base_url:
        yield base_url
