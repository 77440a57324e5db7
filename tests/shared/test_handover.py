"""Tasks leave from a background thread of the process: a request never waits for Redis, the
deliveries of simultaneous transactions leave together, and tasks the broker refused are
handed over again as soon as it is back (within seconds of its return, not at the sweep's
next round)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from services.registration import create_app
from shared import queue
from shared.queue import DELIVER_OUTBOX_TASK, MAIL_QUEUE, merged, send_tasks
from tests.conftest import closing, dispose
from tests.support.mail import eventually
from tests.support.servers import RedisServer, SilentBroker

# The most an email may wait once Redis is back.
RECOVERY_S = 15


@pytest.fixture
def broker(tmp_path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it stops and starts again."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def app(base_config: dict[str, Any], broker: RedisServer) -> Iterator[Flask]:
    """The registration service on that broker."""
    yield from closing(create_app({**base_config, "REDIS_URL": broker.url}))


def queued_arguments(redis: Redis, deadline: float) -> list[Any]:
    """The arguments of the tasks in the mail queue, once there are some or at ``deadline``."""
    while not redis.llen(MAIL_QUEUE) and time.monotonic() < deadline:
        time.sleep(0.1)
    messages = [json.loads(raw) for raw in redis.lrange(MAIL_QUEUE, 0, -1)]
    return [json.loads(base64.b64decode(m["body"]))[0] for m in messages]


@pytest.fixture
def offers(monkeypatch) -> list[bool]:
    """Whether the broker took each offer the hand-over made, in order."""
    taken: list[bool] = []
    publish = queue._publish

    def recorded(calls: list) -> bool:
        taken.append(publish(calls))
        return taken[-1]

    monkeypatch.setattr(queue, "_publish", recorded)
    return taken


@pytest.fixture
def silent_broker() -> Iterator[SilentBroker]:
    """A broker that accepts connections and never answers."""
    server = SilentBroker()
    yield server
    server.close()


def test_tasks_refused_while_redis_is_down_are_handed_over_soon_after_it_is_back(
    app, broker, offers
):
    broker.stop()
    with app.app_context():
        send_tasks([(DELIVER_OUTBOX_TASK, [[41, 42]], MAIL_QUEUE)])
    eventually(lambda: offers.count(False) >= 2, what="a second offer refused")
    broker.start()
    back = time.monotonic()
    redis = Redis.from_url(broker.url)

    arguments = queued_arguments(redis, deadline=back + RECOVERY_S)
    waited = time.monotonic() - back
    redis.close()

    assert arguments == [[[41, 42]]]
    assert waited < RECOVERY_S


def test_a_request_does_not_wait_for_the_broker(base_config, silent_broker):
    app = create_app({**base_config, "REDIS_URL": silent_broker.url})
    handover = app.extensions["handover"]

    def request() -> None:
        with app.app_context():
            send_tasks([(DELIVER_OUTBOX_TASK, [[7]], MAIL_QUEUE)])

    try:
        sent = threading.Thread(target=request)
        sent.start()
        # A request that waited for the broker would still be waiting while it holds the
        # hand-over's question unanswered.
        eventually(
            lambda: not sent.is_alive() and silent_broker.holds_a_request(),
            timeout=10,
            what="the request's end while the broker holds the hand-over's connection",
        )

        assert silent_broker.holds_a_request()
        assert not handover.drain(timeout=0)  # the hand-over is still offering the task
    finally:
        silent_broker.close()  # the hand-over's question fails: the task waits for a retry
        assert handover.drain()
        dispose(app)


def test_outbox_deliveries_of_several_transactions_leave_in_batches():
    calls = [
        (DELIVER_OUTBOX_TASK, [[1, 2]], MAIL_QUEUE),
        ("notifications.send_messages", [[9]], MAIL_QUEUE),
        (DELIVER_OUTBOX_TASK, [list(range(3, 30))], MAIL_QUEUE),
    ]

    assert merged(calls) == [
        (DELIVER_OUTBOX_TASK, [list(range(1, 26))], MAIL_QUEUE),
        (DELIVER_OUTBOX_TASK, [list(range(26, 30))], MAIL_QUEUE),
        ("notifications.send_messages", [[9]], MAIL_QUEUE),
    ]
