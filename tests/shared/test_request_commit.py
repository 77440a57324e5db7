"""One commit per request, made in one place: a view that returns a success has its changes
committed and its tasks handed to Redis; a view that raised or answered an error status
stores nothing and sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from shared.database import db
from shared.errors import InvalidRequest
from shared.models import Event, EventKind
from shared.queue import send_after_commit
from tests.conftest import closing

QUEUE = "test-request-commit"


@pytest.fixture
def app(base_config: dict[str, Any], committed_database: str) -> Iterator[Flask]:
    """The registration service with a test view that adds an event, then answers as told."""
    from services.registration import create_app

    app = create_app(dict(base_config))

    @app.post("/api/test/add-event/<outcome>")
    def add_event(outcome: str) -> tuple[str, int]:
        db.session.add(
            Event(
                slug="request-commit",
                title={"fr": "Essai"},
                kind=EventKind.WORKSHOP,
                attendance_rule="all_dates",
            )
        )
        db.session.flush()
        send_after_commit(db.session, "test.noop", [outcome], queue=QUEUE)
        if outcome == "refused":
            raise InvalidRequest()
        return "", 422 if outcome == "invalid" else 201

    yield from closing(app)


def stored_events(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Event.id)).where(Event.slug == "request-commit"))


def queued_tasks(app: Flask) -> int:
    """The tasks in the test queue, once the process has handed over all it was given."""
    assert app.extensions["handover"].drain()
    return redis.Redis.from_url(app.config["REDIS_URL"]).llen(QUEUE)


@pytest.mark.parametrize("outcome", ["refused", "invalid"])
def test_a_view_that_fails_after_flushing_stores_and_sends_nothing(app, outcome):
    response = app.test_client().post(f"/api/test/add-event/{outcome}")

    assert response.status_code == 422
    assert stored_events(app) == 0
    assert queued_tasks(app) == 0


def test_a_view_that_succeeds_is_committed_and_its_task_sent_after_commit(app):
    before = queued_tasks(app)

    response = app.test_client().post("/api/test/add-event/done")

    assert response.status_code == 201
    assert stored_events(app) == 1
    assert queued_tasks(app) == before + 1
    redis.Redis.from_url(app.config["REDIS_URL"]).delete(QUEUE)
