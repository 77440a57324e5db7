"""Fixtures for every test: a private Redis, a migrated throwaway database, apps, sessions
rolled back after each test, and factories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.database import Base, create_db_engine
from tests.support.databases import is_postgres, throwaway_database, throwaway_postgres
from tests.support.factories import Factory
from tests.support.links import TEST_SECRET
from tests.support.servers import PostgresServer, RedisServer


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database: on the PostgreSQL server DATABASE_URL names, else SQLite."""
    folder = tmp_path_factory.mktemp("database")
    with throwaway_database(folder, os.environ.get("DATABASE_URL")) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database(database_url: str) -> Iterator[str]:
    """A migrated PostgreSQL database, for the tests only a server can run: the run's own when
    DATABASE_URL names PostgreSQL, else one on a private server the run starts, so that they
    run in every pass and never skip."""
    if is_postgres(database_url):
        yield database_url
        return
    if os.environ.get("DATABASE_URL"):
        # A pass meant for PostgreSQL that runs on SQLite instead must not pass quietly.
        scheme = os.environ["DATABASE_URL"].split("://", 1)[0]
        pytest.fail(f"DATABASE_URL names no PostgreSQL server (scheme {scheme!r})")
    server = PostgresServer().start()
    try:
        with throwaway_postgres(server.url) as url:
            yield url
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of the test run's own, on a free port."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_config(
    database_url: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Settings every test app starts from."""
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "DATABASE_LOCK_TIMEOUT_MS": 3000,
        "RATE_LIMITS_ENABLED": False,
        "RUN_DIR": str(tmp_path_factory.mktemp("run")),
    }


def dispose(app: Flask) -> None:
    """Close the app's database pool and Redis connections (left to the collector, they warn)."""
    app.extensions["database"].engine.dispose()
    app.extensions["redis"].close()


def closing(app: Flask) -> Iterator[Flask]:
    """Yield ``app``, then dispose of its connections."""
    yield app
    dispose(app)


@pytest.fixture
def registration_app(base_config: dict[str, Any]) -> Iterator[Flask]:
    """The registration service."""
    from services.registration import create_app

    yield from closing(create_app(dict(base_config)))


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session for the test, inside a transaction rolled back after it.

    The app's requests get sessions of their own on the same connection; their commits only
    release a savepoint.
    """
    binding = app.extensions["database"]
    connection = binding.engine.connect()
    transaction = connection.begin()
    original = binding.session_factory
    binding.session_factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    session = binding.session_factory()
    yield session
    session.close()
    binding.session_factory = original
    transaction.rollback()
    connection.close()


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    """A test client whose requests share the test's rolled-back transaction."""
    return app.test_client()


@pytest.fixture
def make(db_session: Session) -> Factory:
    """Factories for events, groups and registrations."""
    return Factory(db_session)


@pytest.fixture
def committed_database(database_url: str) -> Iterator[str]:
    """For tests whose servers commit for real: every table is emptied afterwards."""
    yield database_url
    empty(database_url)


@pytest.fixture
def committed_postgres(postgres_database: str) -> Iterator[str]:
    """For tests whose requests meet in a PostgreSQL database and commit for real: every
    table is emptied afterwards."""
    yield postgres_database
    empty(postgres_database)


@pytest.fixture
def server_app(base_config: dict[str, Any], committed_postgres: str) -> Iterator[Flask]:
    """The registration service on a committed PostgreSQL database, each request on its own
    connection, for tests of requests that meet in the database (SQLite's transactions take
    the write lock as they begin: two never overlap)."""
    from services.registration import create_app

    config = {**base_config, "DATABASE_URL": committed_postgres, "DATABASE_LOCK_TIMEOUT_MS": 10_000}
    yield from closing(create_app(config))


@pytest.fixture
def engine(committed_postgres: str) -> Iterator[Engine]:
    """An engine of its own on that PostgreSQL database, to prepare and inspect it."""
    engine = create_db_engine(committed_postgres)
    yield engine
    engine.dispose()


def empty(url: str) -> None:
    """Delete every row of the database ``url`` names."""
    engine = create_db_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


def tests_output_dir() -> Path:
    """Where tests leave files for people to look at (screenshots)."""
    path = Path(__file__).resolve().parent.parent / "test-output"
    path.mkdir(exist_ok=True)
    return path
