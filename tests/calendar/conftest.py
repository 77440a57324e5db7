"""The calendar service is the app under test here; its feed cache starts empty each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from tests.support.servers import RedisServer

CALENDAR_BASE_URL = "https://agenda.example.org"
REGISTRATION_BASE_URL = "https://inscriptions.example.org"


def calendar_config(base_config: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The calendar service's settings for tests, with public addresses."""
    return {
        **base_config,
        "CALENDAR_BASE_URL": CALENDAR_BASE_URL,
        "REGISTRATION_BASE_URL": REGISTRATION_BASE_URL,
        # Each request reads the data's version, so a test sees its edit at once.
        "CALENDAR_RECHECK_S": 0,
        **overrides,
    }


def started(config: dict[str, Any]) -> Iterator[Flask]:
    """The calendar service with ``config``; its connections are closed after the test."""
    from services.calendar import create_app

    app = create_app(config)
    yield app
    app.extensions["database"].engine.dispose()
    app.extensions["redis"].close()


@pytest.fixture
def app(base_config: dict[str, Any], redis_server: RedisServer) -> Iterator[Flask]:
    """The calendar service, on the test run's Redis emptied of earlier feeds."""
    with Redis.from_url(redis_server.url) as redis:
        redis.flushdb()
    yield from started(calendar_config(base_config))
