"""A browser that reached a service over HTTPS is told to keep to HTTPS (HSTS)."""

from __future__ import annotations

import pytest

from services.registration import create_app
from tests.conftest import closing

ONE_YEAR = "max-age=31536000"


def test_an_answer_over_https_asks_for_https_from_now_on(client):
    response = client.get("/livez", base_url="https://inscriptions.example.org")

    assert response.headers["Strict-Transport-Security"] == ONE_YEAR


def test_an_answer_over_plain_http_says_nothing_of_it(client):
    response = client.get("/livez")

    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(("max_age", "header"), [(600, "max-age=600"), (0, None)])
def test_behind_the_proxy_the_duration_is_the_operators(base_config, max_age, header):
    config = {**base_config, "TRUSTED_PROXIES": 1, "HSTS_MAX_AGE_S": max_age}
    for app in closing(create_app(config)):
        response = app.test_client().get("/livez", headers={"X-Forwarded-Proto": "https"})

        assert response.headers.get("Strict-Transport-Security") == header
