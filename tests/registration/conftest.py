"""The registration service is the app under test here."""

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine

from services.registration import create_app
from shared.database import create_db_engine
from tests.conftest import closing
from tests.support.links import TEST_SECRET
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
        "SECRET_KEY": TEST_SECRET,
        # 200 simultaneous requests queue for one group's lock; allow them the time.
        "DATABASE_LOCK_TIMEOUT_MS": "30000",
    }
    with serving("services.registration", env, tmp_path / "gunicorn.log") as base_url:
        yield base_url


@pytest.fixture
def server_app(base_config, committed_postgres) -> Iterator[Flask]:
    """The registration service on a committed PostgreSQL database, each request on its own
    connection, for tests of requests that meet in the database (SQLite's transactions take
    the write lock as they begin: two never overlap)."""
    config = {**base_config, "DATABASE_URL": committed_postgres, "DATABASE_LOCK_TIMEOUT_MS": 10_000}
    yield from closing(create_app(config))


@pytest.fixture
def engine(committed_postgres) -> Iterator[Engine]:
    """An engine of its own on that PostgreSQL database, to prepare and inspect it."""
    engine = create_db_engine(committed_postgres)
    yield engine
    engine.dispose()
