"""No cache keeps a personal JSON answer: registrations, rosters, accounts and tokens."""

from __future__ import annotations

from tests.registration.helpers import register


def test_a_registration_and_its_manage_answer_are_not_stored(client, make):
    group = make.group()

    created = register(client, group)
    read = client.get(f"/api/v1/registrations/{created.json['manage_token']}")

    assert created.status_code == 201 and read.status_code == 200
    assert created.headers["Cache-Control"] == read.headers["Cache-Control"] == "no-store"


def test_organiser_answers_are_not_stored(client, make, accounts):
    group = make.group()
    organiser = accounts(group.event)
    event, roster = group.event.slug, f"/groups/{group.slug}/roster"

    for url in (f"/api/v1/events/{event}{roster}", "/api/v1/organiser/tokens"):
        response = client.get(url, headers=organiser.bearer)

        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_a_refusal_is_not_stored_either(client):
    response = client.get("/api/v1/organiser/tokens")

    assert response.status_code == 401
    assert response.headers["Cache-Control"] == "no-store"
