"""The organiser's collections that grow with history come a page at a time, by cursor, as
the public events do: the events they run and, for administrators, every account."""

from __future__ import annotations

import json
import re

import pytest

from tests.organiser.conftest import log_in


def next_link(response) -> str | None:
    link = response.headers.get("Link")
    return link[1 : link.index(">")] if link else None


def test_the_organisers_events_come_newest_first_a_page_at_a_time(client, make, accounts):
    events = [make.event() for _ in range(5)]
    account = accounts(*events)
    make.event()  # someone else's

    first = client.get("/api/v1/organiser/events?limit=3", headers=account.bearer)
    second = client.get(next_link(first), headers=account.bearer)

    assert [e["slug"] for e in first.json] == [e.slug for e in events[:1:-1]]
    assert [e["slug"] for e in second.json] == [events[1].slug, events[0].slug]
    assert next_link(second) is None
    assert json.loads(second.headers["X-Pagination"]) == {"next": None}


def test_every_account_comes_by_address_a_page_at_a_time(client, accounts):
    admin = accounts(admin=True, email="a-admin@example.org")
    others = [accounts(email=f"b-{n}@example.org") for n in range(3)]

    first = client.get("/api/v1/organisers?limit=2", headers=admin.bearer)
    second = client.get(next_link(first), headers=admin.bearer)

    assert [a["email"] for a in first.json] == ["a-admin@example.org", "b-0@example.org"]
    assert [a["email"] for a in second.json] == [o.organiser.email for o in others[1:]]
    assert next_link(second) is None


@pytest.mark.parametrize(
    "path", ["/api/v1/organiser/events?limit=101", "/api/v1/organisers?cursor=%5B1%5D"]
)
def test_a_bad_limit_or_cursor_is_refused_on_its_field(client, accounts, path):
    admin = accounts(admin=True)

    response = client.get(path, headers=admin.bearer)

    assert response.status_code == 422
    assert set(response.json["errors"]) == {path.split("?")[1].split("=")[0]}


def test_the_organisers_page_lists_their_events_newest_first_fifty_at_a_time(
    client, make, accounts
):
    events = [make.event() for _ in range(51)]
    account = accounts(*events)
    log_in(client, account)

    first = client.get("/organiser/").text
    older = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = client.get(older).text

    assert f"/organiser/events/{events[50].slug}" in first
    assert f'/organiser/events/{events[1].slug}/"' in first
    assert f'/organiser/events/{events[0].slug}/"' not in first
    assert f'/organiser/events/{events[0].slug}/"' in second and 'rel="next"' not in second
