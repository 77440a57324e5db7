"""A public feed's answer is given again to the same request before Flask's request cycle,
while the feed's data is trusted without reading it again: the same status, headers and
bytes, still counted and logged. Another request, a private feed, an error, or the end of
that time goes to the app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request
from redis import Redis

from tests.calendar.conftest import calendar_config, started
from tests.support.links import calendar_token
from tests.support.servers import RedisServer

TRUSTED_S = 60


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app(base_config: dict[str, Any], redis_server: RedisServer) -> Iterator[Flask]:
    """The calendar service trusting a feed's data for a minute, on a clock of the test's."""
    with Redis.from_url(redis_server.url) as redis:
        redis.flushdb()
    for app in started(calendar_config(base_config, CALENDAR_RECHECK_S=TRUSTED_S)):
        app.extensions["recent_fingerprints"].clock = Clock()
        yield app


@pytest.fixture
def clock(app: Flask) -> Clock:
    """The clock the service's recent reads, and so its kept answers, go by."""
    return app.extensions["recent_fingerprints"].clock


@pytest.fixture
def through_flask(app: Flask) -> list[str]:
    """The paths of the requests that reached Flask's request cycle."""
    paths: list[str] = []
    app.before_request(lambda: paths.append(request.path))
    return paths


def metric_count(client, path: str, status: int) -> float:
    """How many requests of this route and status /metrics has counted."""
    text = client.get("/metrics").text
    wanted = f'route="{path}",service="services.calendar",status="{status}"'
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("atelier_http_requests_total{") and wanted in line
    )


def test_the_same_request_gets_the_same_answer_without_flask(client, make, through_flask, capfd):
    group = make.group()
    path = f"/feeds/events/{group.event.slug}.ics"
    route = "/feeds/events/<event_slug>.ics"
    counted_before = metric_count(client, route, 200)

    first = client.get(path)
    again = client.get(path)

    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    assert again.headers == first.headers
    assert through_flask.count(path) == 1
    assert metric_count(client, route, 200) == counted_before + 2
    logged = [json.loads(line) for line in capfd.readouterr().err.splitlines()]
    assert [line["route"] for line in logged if line.get("message") == "request"].count(route) == 2


def test_a_revalidation_and_a_language_are_kept_apart(client, make, through_flask):
    group = make.group(make.event(title={"fr": "Atelier", "en": "Workshop"}))
    path = f"/feeds/towns/{group.town_slug}.ics"
    etag = client.get(path).headers["ETag"]

    revalidated = client.get(path, headers={"If-None-Match": etag})
    again = client.get(path, headers={"If-None-Match": etag})
    in_english = client.get(path, headers={"Accept-Language": "en"})
    full = client.get(path)

    assert revalidated.status_code == again.status_code == 304
    assert again.data == b""
    assert in_english.status_code == 200 and b"SUMMARY:Workshop" in in_english.data
    assert full.status_code == 200 and b"SUMMARY:Atelier" in full.data
    # The feed, its revalidation and its English version each reached the app once.
    assert through_flask.count(path) == 3


def test_an_edit_shows_once_the_data_is_read_again(client, make, db_session, clock, through_flask):
    group = make.group(name="Avant")
    path = f"/feeds/events/{group.event.slug}.ics"
    before = client.get(path)
    group.name = "Après"
    db_session.flush()

    within = client.get(path)
    clock.now += TRUSTED_S
    after = client.get(path)

    assert within.data == before.data
    assert "Après".encode() not in within.data
    assert "Après".encode() in after.data
    assert through_flask.count(path) == 2


def test_personal_feeds_errors_and_other_methods_always_reach_the_app(client, make, through_flask):
    registration = make.registration(make.group())
    personal = f"/feeds/personal/{calendar_token(registration)}.ics"
    unknown = "/feeds/towns/nowhere.ics"
    public = f"/feeds/events/{registration.event.slug}.ics"

    for _ in range(2):
        assert client.get(personal).status_code == 200
        assert client.get(unknown).status_code == 404
        assert client.head(public).status_code == 200

    assert through_flask.count(personal) == 2
    assert through_flask.count(unknown) == 2
    assert through_flask.count(public) == 2
