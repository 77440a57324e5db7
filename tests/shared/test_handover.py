"""Tasks the broker refused are handed over again as soon as it is back: emails queued while
Redis was down leave within seconds of its return, not at the sweep's next round."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from services.registration import create_app
from shared.queue import DELIVER_OUTBOX_TASK, MAIL_QUEUE, send_tasks
from tests.conftest import closing
from tests.support.servers import RedisServer

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


def test_tasks_refused_while_redis_is_down_are_handed_over_soon_after_it_is_back(app, broker):
    broker.stop()
    with app.app_context():
        taken = send_tasks([(DELIVER_OUTBOX_TASK, [[41, 42]], MAIL_QUEUE)])
    time.sleep(5)  # several offers refused meanwhile
    broker.start()
    back = time.monotonic()
    redis = Redis.from_url(broker.url)

    arguments = queued_arguments(redis, deadline=back + RECOVERY_S)
    waited = time.monotonic() - back
    redis.close()

    assert taken is False
    assert arguments == [[[41, 42]]]
    assert waited < RECOVERY_S
