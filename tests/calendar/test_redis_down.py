"""Feeds keep coming from the database when Redis stops: subscribed calendars never see a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from shared.domain.schedule import change_date_time
from shared.ical import date_uid
from tests.calendar.conftest import calendar_config, started
from tests.calendar.ics import events
from tests.support.links import calendar_token
from tests.support.servers import RedisServer


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def app(base_config: dict[str, Any], own_redis: RedisServer) -> Iterator[Flask]:
    """The calendar service on the test's own Redis."""
    yield from started(calendar_config(base_config, REDIS_URL=own_redis.url))


def test_feeds_are_served_from_the_database_while_redis_is_down(
    client, make, db_session, own_redis
):
    group = make.group()
    registration = make.registration(group)
    path = f"/feeds/events/{group.event.slug}.ics"
    cached = client.get(path)
    assert cached.status_code == 200

    own_redis.stop()
    served = client.get(path)
    revalidated = client.get(path, headers={"If-None-Match": cached.headers["ETag"]})
    session_date = group.dates[0]
    later = session_date.starts_at + timedelta(hours=2)
    change_date_time(db_session, session_date, later, later + timedelta(hours=4))
    db_session.commit()
    edited = client.get(path)

    assert (served.status_code, served.data) == (200, cached.data)
    assert served.headers["ETag"] == cached.headers["ETag"]
    assert revalidated.status_code == 304
    assert edited.status_code == 200
    assert events(edited.data)[date_uid(session_date)]["dtstart"].dt == later
    for other in (
        "/feeds/all.ics",
        f"/feeds/towns/{group.town_slug}.ics",
        f"/feeds/personal/{calendar_token(registration)}.ics",
        f"/sessions/{group.id}.ics",
        "/",
    ):
        assert client.get(other).status_code == 200, other
