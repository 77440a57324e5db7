"""The organiser's collections that grow with history come a page at a time, by cursor, as
the public events do: the events they run, a group's roster and, for administrators, every
account; the pages link to the next without JavaScript."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from shared.database import utcnow
from shared.models import RegistrationStatus
from tests.organiser.conftest import log_in, post_form
from tests.support.databases import data_statements


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


def test_the_accounts_page_lists_fifty_accounts_then_the_next_by_link(client, accounts):
    admin = accounts(admin=True, email="a-admin@example.org")
    for n in range(50):
        accounts(email=f"b-{n:02}@example.org")
    log_in(client, admin)

    first = client.get("/organiser/accounts").text
    following = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = client.get(following).text

    assert "a-admin@example.org" in first and "b-48@example.org" in first
    assert "b-49@example.org" not in first
    assert "b-49@example.org" in second and 'rel="next"' not in second
    # A cursor edited by hand shows the first page, not an error.
    assert "a-admin@example.org" in client.get("/organiser/accounts?cursor=x").text
    # A change refused shows the page again, its next page still the list's.
    refused = post_form(client, f"/organiser/accounts/{admin.organiser.id}", active="false")
    again = re.search(r'<a href="([^"]+)" rel="next">', refused.text).group(1)
    assert refused.status_code == 422 and again.startswith("/organiser/accounts?")


def roster_of(make, size: int):
    group = make.group(capacity=size + 5)
    people = [make.registration(group, last_name=f"Nom{n:02}") for n in range(size)]
    return group, people


def roster_url(group) -> str:
    return f"/api/v1/events/{group.event.slug}/groups/{group.slug}/roster"


def test_a_long_roster_comes_by_name_a_page_at_a_time_with_the_groups_counts(
    client, make, accounts
):
    group, _people = roster_of(make, 5)
    account = accounts(group.event)

    first = client.get(f"{roster_url(group)}?limit=2", headers=account.bearer)
    second = client.get(next_link(first), headers=account.bearer)
    third = client.get(next_link(second), headers=account.bearer)

    names = [
        [line["participant"]["last_name"] for line in page.json["confirmed"]]
        for page in (first, second, third)
    ]
    assert names == [["Nom00", "Nom01"], ["Nom02", "Nom03"], ["Nom04"]]
    assert {page.json["confirmed_count"] for page in (first, second, third)} == {5}
    assert first.json["next"] == json.loads(first.headers["X-Pagination"])["next"]
    assert third.json["next"] is None and next_link(third) is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=WzFd", "cursor"),
        ("cursor=%25", "cursor"),
    ],
)
def test_a_roster_refuses_a_bad_limit_or_cursor_on_its_field(client, make, accounts, query, field):
    group, _people = roster_of(make, 1)
    account = accounts(group.event)

    response = client.get(f"{roster_url(group)}?{query}", headers=account.bearer)

    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


def statements_of(app, request) -> list[str]:
    """The data statements ``request()`` runs."""
    return data_statements(app.extensions["database"].engine, request)[1]


def test_a_roster_page_costs_the_same_statements_at_three_and_at_sixty(app, client, make, accounts):
    def statements_for(size: int) -> list[str]:
        group, _people = roster_of(make, size)
        account = accounts(group.event)
        client.get(roster_url(group), headers=account.bearer)  # the token's first use
        url = f"{roster_url(group)}?limit=10"
        run = statements_of(app, lambda: client.get(url, headers=account.bearer))
        assert len(client.get(url, headers=account.bearer).json["confirmed"]) == min(size, 10)
        return run

    assert len(statements_for(3)) == len(statements_for(60))


def test_the_accounts_and_the_delivery_log_cost_the_same_statements_whatever_their_length(
    app, client, make, accounts
):
    admin = accounts(admin=True)
    group = make.group()
    person = make.registration(group)
    make.email_message(person)
    log_in(client, admin)
    client.get("/api/v1/organisers", headers=admin.bearer)  # the token's first use
    pages = (
        lambda: client.get("/api/v1/organisers?limit=5", headers=admin.bearer),
        lambda: client.get("/organiser/accounts?limit=5"),
        lambda: client.get(f"/organiser/events/{group.event.slug}/deliveries?limit=5"),
    )
    few = [statements_of(app, page) for page in pages]

    for n in range(30):
        accounts(make.event(), email=f"more-{n:02}@example.org")
        make.email_message(person)
    many = [statements_of(app, page) for page in pages]

    assert few == many


def test_the_roster_page_shows_fifty_participants_then_the_next_by_link(client, make, accounts):
    group, _people = roster_of(make, 51)
    account = accounts(group.event)
    log_in(client, account)
    url = f"/organiser/events/{group.event.slug}/groups/{group.slug}/"

    first = client.get(url).text
    following = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = client.get(following).text

    assert "Nom49" in first and "Nom50" not in first
    assert "Nom50" in second and "Nom49" not in second and 'rel="next"' not in second
    assert "<strong>51</strong>" in first


def test_the_roster_page_counts_those_to_confirm_by_email_in_the_whole_group(
    client, make, accounts, db_session
):
    group, people = roster_of(make, 51)
    for person in people:
        person.confirm_by = utcnow() + timedelta(days=1)
    people[0].email_confirmed_at = utcnow()  # on the first page: the other 49 still wait
    released = make.registration(group, last_name="Released")
    released.confirm_by, released.status = utcnow(), RegistrationStatus.CANCELLED
    db_session.flush()
    account = accounts(group.event)
    log_in(client, account)

    first = client.get(f"/organiser/events/{group.event.slug}/groups/{group.slug}/").text

    assert "Nom50" not in first
    assert "<strong>50</strong> à confirmer par e-mail" in first


def test_the_openapi_documents_the_rosters_page_arguments_and_headers(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    operation = paths["/api/v1/events/{event_slug}/groups/{group_slug}/roster"]["get"]

    arguments = {p["name"]: p for p in operation["parameters"]}
    assert {"limit", "cursor"} <= set(arguments)
    assert arguments["limit"]["schema"]["maximum"] == 100
    assert {"Link", "X-Pagination"} <= set(operation["responses"]["200"]["headers"])


def test_the_delivery_log_page_goes_to_older_emails_by_link(client, make, accounts):
    group = make.group()
    person = make.registration(group)
    copies = [make.email_message(person, subject=f"Objet {n:02}") for n in range(4)]
    log_in(client, accounts(group.event))
    url = f"/organiser/events/{group.event.slug}/deliveries"

    first = client.get(f"{url}?limit=3").text
    older = re.search(r'<a [^>]*href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = client.get(older).text

    assert [c.subject in first for c in copies] == [False, True, True, True]
    assert copies[0].subject in second and 'rel="next"' not in second
    # A cursor edited by hand shows the newest emails, not an error.
    assert copies[3].subject in client.get(f"{url}?cursor=%25").text
