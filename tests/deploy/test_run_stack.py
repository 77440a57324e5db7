"""``make run`` starts the small profile: one process serving the three web services with
threads, and one Celery worker that runs beat as well (docs/production.md)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.databases import throwaway_database
from tests.support.servers import (
    ManagedProcess,
    RedisServer,
    free_port,
    running,
    service_environment,
    wait_for_http,
)
from tools import run_stack


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The stack's commands, the mail server being someone else's."""
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "MAIL_PORT": "587"}
    return {name: argv for name, argv in run_stack.commands(env) if name != "redis"}


def test_one_process_serves_the_web_services_with_the_gunicorn_settings(commands) -> None:
    web = [argv for argv in commands.values() if "gunicorn" in argv]

    assert len(web) == 1
    assert "--workers" not in web[0]
    assert "--threads" not in web[0]
    for port in run_stack.SERVICES.values():
        assert f"--bind=127.0.0.1:{port}" in web[0]
    assert run_stack.SMALL_PROFILE["WEB_CONCURRENCY"] == "1"


def test_one_celery_worker_runs_beat_too(commands) -> None:
    celery = [argv for argv in commands.values() if "celery" in argv]

    assert len(celery) == 1
    assert "--beat" in celery[0]
    assert run_stack.SMALL_PROFILE["CELERY_CONCURRENCY"] == "1"


@pytest.fixture
def web_services(
    tmp_path: Path, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """make run's web process on a fresh, empty database; each service's base URL."""
    ports = {service: free_port() for service in run_stack.SERVICES}
    monkeypatch.setattr(run_stack, "SERVICES", ports)
    with throwaway_database(tmp_path, os.environ.get("DATABASE_URL")) as database_url:
        env = service_environment(
            DATABASE_URL=database_url,
            REDIS_URL=redis_server.url,
            ATELIER_RUN_DIR=str(tmp_path / "run"),
            **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
        )
        process = ManagedProcess(run_stack.web_services(sys.executable), tmp_path / "web.log", env)
        with running(process):
            urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
            for url in urls.values():
                wait_for_http(f"{url}/livez", timeout=60)
            yield urls


def test_each_port_answers_with_its_own_service_on_the_demo(web_services) -> None:
    registration, calendar = web_services["registration"], web_services["calendar"]

    events = requests.get(f"{registration}/api/v1/events", timeout=30)
    assert events.status_code == 200
    assert "seance-information-formations" in events.text  # the demo, loaded at start
    feed = requests.get(f"{calendar}/feeds/all.ics", timeout=30)
    assert feed.status_code == 200
    assert feed.text.startswith("BEGIN:VCALENDAR")
    assert requests.get(f"{registration}/feeds/all.ics", timeout=30).status_code == 404
    titles = {
        service: requests.get(f"{url}/api/v1/openapi.json", timeout=30).json()["info"]["title"]
        for service, url in web_services.items()
        if service != "calendar"
    }
    assert titles["registration"] != titles["notifications"]
    for url in web_services.values():
        assert requests.get(f"{url}/healthz", timeout=30).status_code == 200
        # Refused by gunicorn before any service is chosen, still in the services' JSON shape.
        refused = requests.get(f"{url}/{'x' * 9000}", timeout=30)
        assert refused.status_code == 414
        assert refused.json()["status"] == 414
