"""The engine: pooled connections that the server closed are replaced before they are used;
only the notifications service commits without waiting for the disk; a request whose
connection was dropped still ends cleanly."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from sqlalchemy import text

from shared.database import create_db_engine, db
from tests.conftest import dispose


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """A PostgreSQL database: only a server can close a connection."""
    return postgres_database


@pytest.fixture
def postgres_config(base_config: dict[str, Any], postgres_url: str) -> dict[str, Any]:
    """Settings of an app on that database."""
    return {**base_config, "DATABASE_URL": postgres_url}


def test_a_connection_the_server_terminated_is_replaced_without_an_error(postgres_url):
    engine = create_db_engine(postgres_url)
    admin = create_db_engine(postgres_url)
    try:
        with engine.connect() as connection:
            first_backend = connection.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as connection:
            # Waits until the backend has gone, its farewell sent.
            connection.execute(
                text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": first_backend}
            )
            connection.commit()

        with engine.connect() as connection:
            backend = connection.scalar(text("SELECT pg_backend_pid()"))

        assert backend != first_backend
    finally:
        engine.dispose()
        admin.dispose()


@pytest.mark.parametrize(("service", "setting"), [("registration", "on"), ("notifications", "off")])
def test_only_the_notifications_service_commits_without_waiting_for_the_disk(
    postgres_config, service, setting
):
    app = importlib.import_module(f"services.{service}").create_app(postgres_config)
    try:
        with app.app_context():
            assert db.session.scalar(text("SHOW synchronous_commit")) == setting
    finally:
        dispose(app)


def test_a_request_whose_connection_the_server_dropped_still_ends(postgres_url, postgres_config):
    app = importlib.import_module("services.registration").create_app(postgres_config)
    admin = create_db_engine(postgres_url)
    try:
        with app.app_context():
            backend = db.session.scalar(text("SELECT pg_backend_pid()"))  # a transaction open
            with admin.connect() as connection:
                connection.execute(
                    text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backend}
                )
                connection.commit()
        # Leaving the context rolled back and closed the dropped session without raising.
        with app.app_context():
            assert db.session.scalar(text("SELECT 1")) == 1
    finally:
        admin.dispose()
        dispose(app)
