"""Every public address built in shared/links.py reaches a route of the service it names,
at the base address the configuration gives that service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from shared import links
from tests.conftest import closing

REGISTRATION = "https://inscriptions.example.org/atelier"
CALENDAR = "https://agenda.example.org"
TOKEN = "tok-EN_123"

# (builder, its arguments, the service expected to serve it, the view that does (named
# without its blueprint, which may be regrouped), the query it carries)
ADDRESSES: list[tuple[Callable[..., str], tuple[Any, ...], str, str, dict[str, list[str]]]] = [
    (links.event_page, ("atelier-namur",), "registration", "event_page", {}),
    (links.manage_page, (TOKEN,), "registration", "manage", {}),
    (
        links.evaluation_page,
        (TOKEN, "uk"),
        "registration",
        "evaluation",
        {"lang": ["uk"]},
    ),
    (
        links.registration_confirmation,
        (TOKEN, "fr"),
        "registration",
        "confirm_email",
        {"lang": ["fr"]},
    ),
    (links.certificate_check, (TOKEN,), "registration", "check", {}),
    (
        links.account_invitation,
        (TOKEN, "ar"),
        "registration",
        "accept",
        {"lang": ["ar"]},
    ),
    (
        links.password_reset,
        (TOKEN, "en"),
        "registration",
        "reset",
        {"lang": ["en"]},
    ),
    (links.group_calendar, (42,), "calendar", "group_dates", {}),
    (links.personal_feed, (TOKEN,), "calendar", "personal_feed", {}),
]


@pytest.fixture
def apps(base_config: dict[str, Any]) -> Iterator[dict[str, Flask]]:
    """The two services whose pages others link to, with public base addresses."""
    from services.calendar import create_app as calendar_app
    from services.registration import create_app as registration_app

    config = {**base_config, "REGISTRATION_BASE_URL": REGISTRATION, "CALENDAR_BASE_URL": CALENDAR}
    registration = closing(registration_app(dict(config)))
    calendar = closing(calendar_app(dict(config)))
    yield {"registration": next(registration), "calendar": next(calendar)}
    for started in (registration, calendar):
        next(started, None)


@pytest.mark.parametrize(
    ("build", "arguments", "service", "endpoint", "query"),
    ADDRESSES,
    ids=[build.__name__ for build, *_ in ADDRESSES],
)
def test_each_address_reaches_a_route_of_its_service(
    apps, build, arguments, service, endpoint, query
):
    app = apps[service]
    base = urlsplit(REGISTRATION if service == "registration" else CALENDAR)
    with app.app_context():
        address = urlsplit(build(*arguments))

    assert (address.scheme, address.netloc) == (base.scheme, base.netloc)
    assert address.path.startswith(base.path)
    matched, _values = app.url_map.bind(base.netloc).match(
        address.path.removeprefix(base.path), method="GET"
    )
    assert matched.rpartition(".")[2] == endpoint
    assert parse_qs(address.query) == query
