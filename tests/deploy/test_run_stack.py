"""``make run`` starts the small profile: one process per web service, serving with threads,
and one Celery worker that runs beat as well (docs/production.md)."""

from __future__ import annotations

import pytest

from tools import run_stack


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The stack's commands, the mail server being someone else's."""
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "MAIL_PORT": "587"}
    return {name: argv for name, argv in run_stack.commands(env) if name != "redis"}


def test_web_services_leave_their_process_count_to_the_gunicorn_settings(commands) -> None:
    for service in ("registration", "notifications", "calendar"):
        assert "--workers" not in commands[service]
        assert "--threads" not in commands[service]
    assert run_stack.SMALL_PROFILE["WEB_CONCURRENCY"] == "1"


def test_one_celery_worker_runs_beat_too(commands) -> None:
    celery = [argv for argv in commands.values() if "celery" in argv]

    assert len(celery) == 1
    assert "--beat" in celery[0]
    assert run_stack.SMALL_PROFILE["CELERY_CONCURRENCY"] == "1"
