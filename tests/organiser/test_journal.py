"""An event's journal: what its organisers changed in it, who and when, newest first, a page
at a time, through the API and the organiser pages, in the reader's language; only the event's
own organisers read it."""

from __future__ import annotations

import re

from sqlalchemy import select

from shared.domain.privacy import anonymise
from shared.models import AuditEntry
from tests.organiser.conftest import log_in
from tests.support.factories import local
from tests.support.pages import text_of


def journal_entries(db_session, group) -> list[int]:
    """The ids of the group's event's journal entries, newest first."""
    entries = select(AuditEntry.id).where(AuditEntry.event_id == group.event_id)
    return list(db_session.scalars(entries.order_by(AuditEntry.id.desc())))


def journal_url(event, **query):
    arguments = "&".join(f"{name}={value}" for name, value in query.items())
    return f"/api/v1/events/{event.slug}/log" + (f"?{arguments}" if arguments else "")


def test_the_journal_lists_who_did_what_newest_first(client, make, accounts):
    group = make.group(capacity=1)
    confirmed, waiting = make.registration(group), make.registration(group)
    account = accounts(group.event)
    roster = f"/api/v1/events/{group.event.slug}"
    client.put(
        f"{roster}/groups/{group.slug}/capacity", json={"capacity": 3}, headers=account.bearer
    )
    client.post(f"{roster}/registrations/{confirmed.id}/cancel", headers=account.bearer)

    answer = client.get(
        journal_url(group.event), headers={**account.bearer, "Accept-Language": "en"}
    )

    assert answer.status_code == 200
    entries = answer.json["entries"]
    assert [(e["action"], e["label"]) for e in entries] == [
        ("registration.cancelled", "Registration cancelled"),
        ("group.capacity_changed", "Number of places changed"),
    ]
    cancelled, capacity = entries
    assert cancelled["by"]["email"] == account.organiser.email
    assert cancelled["registration"] == {
        "id": confirmed.id,
        "name": confirmed.full_name,
        "group": group.slug,
    }
    assert capacity["registration"] is None
    assert capacity["details"]["promoted"] == [waiting.id]
    assert (capacity["details"]["previous"], capacity["details"]["capacity"]) == (1, 3)
    assert answer.json["older"] is None


def test_the_journal_comes_a_page_at_a_time(client, make, accounts):
    group = make.group()
    account = accounts(group.event)
    for capacity in range(21, 26):
        client.put(
            f"/api/v1/events/{group.event.slug}/groups/{group.slug}/capacity",
            json={"capacity": capacity},
            headers=account.bearer,
        )

    first = client.get(journal_url(group.event, limit=2), headers=account.bearer).json
    second = client.get(
        journal_url(group.event, limit=2, before=first["older"]), headers=account.bearer
    ).json
    last = client.get(
        journal_url(group.event, limit=2, before=second["older"]), headers=account.bearer
    ).json

    pages = [[e["details"]["capacity"] for e in page["entries"]] for page in (first, second, last)]
    assert pages == [[25, 24], [23, 22], [21]]
    assert last["older"] is None


def test_an_erased_participant_is_not_named_in_the_journal(client, make, accounts, db_session):
    group = make.group()
    person = make.registration(group, first_name="Aïcha", last_name="Benali")
    account = accounts(group.event)
    client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{person.id}/cancel",
        headers=account.bearer,
    )
    anonymise(person)
    db_session.commit()

    answer = client.get(journal_url(group.event), headers=account.bearer)

    assert answer.status_code == 200
    [entry] = answer.json["entries"]
    assert entry["action"] == "registration.cancelled"
    assert entry["registration"]["id"] == person.id
    assert entry["registration"]["name"] == person.full_name != "Aïcha Benali"
    assert "Benali" not in answer.get_data(as_text=True)


def test_bad_paging_is_refused_on_its_field_in_the_readers_language(client, make, accounts):
    event = make.event()
    account = accounts(event)
    english = {**account.bearer, "Accept-Language": "en"}

    too_many = client.get(journal_url(event, limit=500), headers=english)
    not_a_number = client.get(journal_url(event, before="yesterday"), headers=english)

    assert too_many.status_code == 422
    assert too_many.json["errors"] == {"limit": ["From 1 to 200."]}
    assert not_a_number.status_code == 422
    assert not_a_number.json["errors"] == {"before": ["A whole number is expected."]}


def test_only_the_events_organisers_read_its_journal(client, make, accounts):
    event, other = make.event(), make.event()
    outsider = accounts(other)

    assert client.get(journal_url(event), headers=outsider.bearer).status_code == 403
    assert client.get(journal_url(event)).status_code == 401


def test_the_journal_page_shows_the_entries_and_the_way_to_older_ones(
    client, make, accounts, db_session
):
    group = make.group(capacity=1)
    person = make.registration(group, first_name="Olena", last_name="Kovalenko")
    account = accounts(group.event)
    for capacity in (2, 3):
        client.put(
            f"/api/v1/events/{group.event.slug}/groups/{group.slug}/capacity",
            json={"capacity": capacity},
            headers=account.bearer,
        )
    client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{person.id}/cancel",
        headers=account.bearer,
    )
    log_in(client, account)
    page_url = f"/organiser/events/{group.event.slug}/log"

    event_page = text_of(client.get(f"/organiser/events/{group.event.slug}/"))
    first = client.get(f"{page_url}?limit=2&lang=uk")
    refused = client.get(f"{page_url}?limit=0")

    assert f'href="{page_url}"' in event_page
    assert first.status_code == 200
    html = text_of(first)
    assert "Olena Kovalenko" in html and account.organiser.name in html
    assert "Реєстрацію скасовано" in html  # "Inscription annulée" in Ukrainian
    assert "Місць було: 2" in html and "Місця: 3" in html  # the capacity, from 2 to 3
    assert f"Група: {group.name}" in html
    older = re.search(rf'href="{page_url}\?([^"]+)"', html)
    assert older and sorted(older.group(1).split("&")) == [
        f"before={journal_entries(db_session, group)[1]}",
        "limit=2",
    ]
    assert refused.status_code == 422 and "De 1 à 200." in text_of(refused)


def test_the_journal_page_words_dates_and_people_for_a_reader(client, make, accounts):
    group = make.group(
        capacity=1,
        dates=[
            (local("2030-11-19T09:30"), local("2030-11-19T16:00")),
            (local("2030-11-26T09:30"), local("2030-11-26T16:00")),
        ],
    )
    make.registration(group)
    for _ in range(2):
        make.registration(group)  # waiting
    account = accounts(group.event)
    event_url = f"/api/v1/events/{group.event.slug}"
    client.patch(
        f"{event_url}/dates/{group.dates[0].id}",
        json={"start": "2030-11-20T09:30:00+01:00", "end": "2030-11-20T16:00:00+01:00"},
        headers=account.bearer,
    )
    client.put(
        f"{event_url}/groups/{group.slug}/capacity", json={"capacity": 3}, headers=account.bearer
    )
    log_in(client, account)

    html = text_of(client.get(f"/organiser/events/{group.event.slug}/log?lang=en"))

    assert "Date: Wednesday, November 20, 2030, 09:30–16:00" in html
    assert "Previous start: 11/19/30, 9:30" in html
    assert "Confirmed from the waiting list: 2 people" in html


def test_administrators_read_the_whole_journal_accounts_included(client, make, accounts):
    event = make.event()
    admin = accounts(admin=True)
    member = accounts(event)
    client.patch(
        f"/api/v1/organisers/{member.organiser.id}", json={"active": False}, headers=admin.bearer
    )
    client.patch(
        f"/api/v1/organisers/{member.organiser.id}", json={"active": True}, headers=admin.bearer
    )
    english = {**admin.bearer, "Accept-Language": "en"}

    answer = client.get("/api/v1/organisers/log", headers=english)
    refused = client.get("/api/v1/organisers/log", headers=member.bearer)

    assert answer.status_code == 200
    latest = answer.json["entries"][:2]
    assert [(e["action"], e["label"], e["event"]) for e in latest] == [
        ("account.reactivated", "Account reactivated", None),
        ("account.deactivated", "Account deactivated", None),
    ]
    assert latest[0]["by"]["email"] == admin.organiser.email
    assert latest[0]["details"]["email"] == member.organiser.email
    assert refused.status_code == 403


def test_the_administrators_journal_page_names_each_entrys_event(client, make, accounts):
    group = make.group(capacity=1)
    admin = accounts(admin=True)
    client.put(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/capacity",
        json={"capacity": 2},
        headers=admin.bearer,
    )
    log_in(client, admin)

    accounts_page = text_of(client.get("/organiser/accounts"))
    html = text_of(client.get("/organiser/accounts/log"))

    assert 'href="/organiser/accounts/log"' in accounts_page
    assert "Nombre de places modifié" in html
    assert f'href="/organiser/events/{group.event.slug}/log"' in html
    assert group.event.localized("title", "fr") in html


def test_sign_ins_and_refused_ones_are_in_the_administrators_journal(app, client, make, accounts):
    admin = accounts(admin=True)
    member = accounts(make.event())
    log_in(app.test_client(), member, password="not it")
    log_in(app.test_client(), member)
    log_in(app.test_client(), accounts(make.event()), password="not it either")

    answer = client.get("/api/v1/organisers/log", headers={**admin.bearer, "Accept-Language": "en"})

    latest = answer.json["entries"][:3]
    assert [(e["action"], e["label"]) for e in latest] == [
        ("login.failed", "Sign-in refused: wrong password"),
        ("login.succeeded", "Signed in"),
        ("login.failed", "Sign-in refused: wrong password"),
    ]
    assert latest[1]["by"]["email"] == member.organiser.email
    assert latest[2]["details"]["email"] == member.organiser.email
    assert "not it" not in str(answer.json)
