"""The registration service is the app under test here."""

import pytest
from flask import Flask

from tests.support.servers import (
    ManagedProcess,
    free_port,
    gunicorn_command,
    running,
    service_environment,
    wait_for_http,
)


@pytest.fixture
def app(registration_app: Flask) -> Flask:
    """The registration service."""
    return registration_app


@pytest.fixture
def registration_server(committed_database, redis_server, tmp_path):
    """The registration service under gunicorn (2 processes × 4 threads) on a free port."""
    port = free_port()
    env = service_environment(
        DATABASE_URL=committed_database,
        REDIS_URL=redis_server.url,
        SECRET_KEY="test-secret",
        # 200 simultaneous requests queue for one group's lock; allow them the time.
        DATABASE_LOCK_TIMEOUT_MS="30000",
    )
    server = ManagedProcess(
        gunicorn_command("services.registration", port), tmp_path / "gunicorn.log", env
    )
    with running(server):
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/livez")
        yield base_url
