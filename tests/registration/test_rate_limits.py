"""Registrations and token look-ups are rate-limited per address, counted in Redis."""

from __future__ import annotations

import pytest

from services.registration import create_app
from tests.conftest import closing
from tests.registration.helpers import registration_body
from tests.support.servers import RedisServer


@pytest.fixture
def limited_app(base_config, committed_database, tmp_path):
    redis = RedisServer(tmp_path / "redis").start()  # fresh counters for this test
    config = {
        **base_config,
        "REDIS_URL": redis.url,
        "RATE_LIMITS_ENABLED": True,
        "RATE_LIMIT_REGISTRATION": "3/minute",
        "RATE_LIMIT_TOKEN_LOOKUP": "2/minute",
    }
    yield from closing(create_app(config))
    redis.stop()


def test_too_many_registrations_from_one_address_get_429_with_retry_after(limited_app):
    client = limited_app.test_client()
    url = "/api/v1/events/nope/registrations"

    answers = [client.post(url, json=registration_body("g")).status_code for _ in range(4)]
    refused = client.post(url, json=registration_body("g"), headers={"Accept-Language": "en"})

    assert answers == [404, 404, 404, 429]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json["message"] == "Too many requests. Please try again later."


def test_limited_routes_alone_tell_the_client_its_allowance(limited_app):
    client = limited_app.test_client()

    limited = client.get("/api/v1/registrations/guess")
    probe = client.get("/livez")

    assert (limited.headers["X-RateLimit-Limit"], limited.headers["X-RateLimit-Remaining"]) == (
        "2",
        "1",
    )
    assert not [name for name, _value in probe.headers if name.startswith("X-RateLimit")]


def test_other_addresses_keep_their_own_allowance(limited_app):
    client = limited_app.test_client()
    url = "/api/v1/events/nope/registrations"

    def post_from(address: str) -> int:
        body = registration_body("g")
        return client.post(url, json=body, environ_base={"REMOTE_ADDR": address}).status_code

    spent = [post_from("10.0.0.1") for _ in range(3)]
    other = post_from("10.0.0.2")
    limited = post_from("10.0.0.1")

    assert spent == [404, 404, 404]
    assert other == 404
    assert limited == 429  # the first address did use up its allowance


def test_token_look_ups_are_limited(limited_app):
    client = limited_app.test_client()

    statuses = [client.get(f"/api/v1/registrations/guess-{i}").status_code for i in range(3)]

    assert statuses == [404, 404, 429]


def test_limits_are_skipped_not_enforced_when_redis_is_down(
    base_config, committed_database, tmp_path
):
    down = RedisServer(tmp_path / "down")  # never started
    config = {
        **base_config,
        "REDIS_URL": down.url,
        "RATE_LIMITS_ENABLED": True,
        "RATE_LIMIT_REGISTRATION": "1/minute",
    }
    for app in closing(create_app(config)):
        client = app.test_client()
        statuses = [
            client.post(
                "/api/v1/events/nope/registrations", json=registration_body("g")
            ).status_code
            for _ in range(3)
        ]

    assert statuses == [404, 404, 404]
