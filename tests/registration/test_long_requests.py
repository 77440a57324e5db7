"""A request target or a header too long for the services is answered by the service, in the
one error shape, under gunicorn; one beyond gunicorn's own limits by gunicorn, in that shape
too (see tests/shared/test_server_refusals.py)."""

from __future__ import annotations

import requests


def test_a_long_request_target_is_refused_with_414_in_the_error_shape(registration_server):
    response = requests.get(f"{registration_server}/api/v1/registrations/{'t' * 8000}", timeout=10)

    assert response.status_code == 414
    assert response.json()["code"] == "request_uri_too_long"
    assert response.json()["status"] == 414


def test_a_long_header_is_refused_with_431_in_the_error_shape(registration_server):
    response = requests.get(
        f"{registration_server}/api/v1/events", headers={"X-Note": "n" * 10_000}, timeout=10
    )

    assert response.status_code == 431
    assert response.json()["code"] == "request_header_fields_too_large"


def test_a_page_refuses_a_long_address_with_an_html_page(registration_server):
    response = requests.get(f"{registration_server}/manage/{'t' * 5000}", timeout=10)

    assert response.status_code == 414
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html" in response.text


def test_a_long_query_within_the_limit_reaches_the_service(registration_server):
    response = requests.get(
        f"{registration_server}/api/v1/events?town={'x' * 3000}",
        headers={"Accept-Language": "en"},
        timeout=10,
    )

    assert response.status_code == 422  # the town filter takes 120 characters at most
    assert response.json()["errors"]["town"]


def test_beyond_gunicorns_own_limit_the_server_refuses_alone_in_the_error_shape(
    registration_server,
):
    response = requests.get(f"{registration_server}/api/v1/registrations/{'t' * 9000}", timeout=10)

    assert response.status_code == 414
    assert response.json()["code"] == "request_uri_too_long"
