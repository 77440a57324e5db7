"""A draft event is seen by its organisers only: every public page, API answer and listing
answers as if it did not exist, until an organiser publishes it, which the journal records."""

from __future__ import annotations

from tests.organiser.conftest import changes_recorded, log_in, post_form
from tests.registration.helpers import register


def public_answers(client, event, group) -> dict[str, int | bool]:
    """What the public gets for the event: each address's status, and whether lists show it."""
    listed = [e["slug"] for e in client.get("/api/v1/events").json]
    listed_all = [e["slug"] for e in client.get("/api/v1/events?upcoming=false").json]
    return {
        "page": client.get(f"/events/{event.slug}").status_code,
        "detail": client.get(f"/api/v1/events/{event.slug}").status_code,
        "register": register(client, group).status_code,
        "listed": event.slug in listed or event.slug in listed_all,
        "on_home_page": f"/events/{event.slug}" in client.get("/").get_data(as_text=True),
    }


def test_a_draft_is_absent_everywhere_public(client, make):
    event = make.event(published=False)
    group = make.group(event)

    assert public_answers(client, event, group) == {
        "page": 404,
        "detail": 404,
        "register": 404,
        "listed": False,
        "on_home_page": False,
    }


def test_a_published_event_is_everywhere_public(client, make):
    event = make.event()
    group = make.group(event)

    assert public_answers(client, event, group) == {
        "page": 200,
        "detail": 200,
        "register": 201,
        "listed": True,
        "on_home_page": True,
    }


def test_its_organisers_see_a_draft(client, accounts, make, db_session):
    event = make.event(published=False)
    make.group(event)
    account = accounts(event)
    db_session.commit()
    log_in(client, account)

    page = client.get(f"/organiser/events/{event.slug}/")
    listed = client.get("/organiser/").get_data(as_text=True)
    summaries = client.get("/api/v1/organiser/events", headers=account.bearer).json

    assert page.status_code == 200
    assert "Publier l'événement" in page.get_data(as_text=True)
    assert "Brouillon" in listed
    assert [(e["slug"], e["published"]) for e in summaries] == [(event.slug, False)]


def test_publishing_through_the_api_makes_a_draft_public_and_is_journaled(
    client, accounts, make, db_session
):
    event = make.event(published=False)
    group = make.group(event)
    account = accounts(event)
    db_session.commit()

    published = client.post(f"/api/v1/events/{event.slug}/publish", headers=account.bearer)

    assert published.status_code == 200
    assert published.json["published"] is True
    assert changes_recorded(db_session)[-1] == "event.published"
    assert public_answers(client, event, group)["detail"] == 200


def test_publishing_from_the_event_page(client, accounts, make, db_session):
    event = make.event(published=False)
    group = make.group(event)
    account = accounts(event)
    db_session.commit()
    log_in(client, account)

    answer = post_form(client, f"/organiser/events/{event.slug}/publish")

    assert answer.status_code == 303
    assert changes_recorded(db_session)[-1] == "event.published"
    assert client.get(f"/events/{event.slug}").status_code == 200
    assert public_answers(client, event, group)["listed"] is True


def test_another_organiser_cannot_publish(client, accounts, make, db_session):
    event = make.event(published=False)
    stranger = accounts(make.event())
    db_session.commit()

    refused = client.post(f"/api/v1/events/{event.slug}/publish", headers=stranger.bearer)

    assert refused.status_code == 403
    db_session.expire_all()
    assert event.published is False
