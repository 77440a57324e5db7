"""Organisers hand trainers their feed link and renew it, and keep their own planning feed
link, from the pages and the API; each renewal is in the journal, each email leaves only
once the change is committed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.domain.staff_feeds import send_trainer_feed
from shared.models import EmailKind, OutboxMessage, Trainer
from shared.tokens import registration_token
from tests.organiser.conftest import changes_recorded, log_in, post_form
from tests.support.links import TEST_SECRET


@pytest.fixture
def published(app) -> list[int]:
    """The outbox rows handed to the worker, in order."""
    handed: list[int] = []
    app.extensions["outbox_publisher"] = handed.extend
    return handed


@pytest.fixture
def trainer(db_session) -> Trainer:
    person = Trainer(name="Nadia Haddad", email="nadia@example.org", languages=["ar", "fr"])
    db_session.add(person)
    db_session.commit()
    return person


def feed_emails(db_session) -> list[OutboxMessage]:
    return list(
        db_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == EmailKind.TRAINER_FEED.value)
            .order_by(OutboxMessage.id)
        )
    )


def test_the_api_renews_a_trainer_link_and_emails_it_after_commit(
    client, accounts, db_session, trainer, published
):
    account = accounts()

    renewed = client.post(f"/api/v1/trainers/{trainer.id}/feed", json={}, headers=account.bearer)
    again = client.post(
        f"/api/v1/trainers/{trainer.id}/feed", json={"renew": False}, headers=account.bearer
    )
    unknown = client.post("/api/v1/trainers/999999/feed", json={}, headers=account.bearer)
    nonsense = client.post(
        f"/api/v1/trainers/{trainer.id}/feed", json={"renew": "often"}, headers=account.bearer
    )

    assert renewed.status_code == 202
    assert renewed.json == {"trainer": trainer.id, "renewed": True, "sent_to": "nadia@example.org"}
    assert again.status_code == 202 and again.json["renewed"] is False
    assert (unknown.status_code, unknown.json["code"]) == (404, "not_found")
    assert nonsense.status_code == 422 and "renew" in nonsense.json["errors"]
    db_session.refresh(trainer)
    assert trainer.feed_token_version == 1
    sent = feed_emails(db_session)
    assert [row.payload for row in sent] == [{"trainer_id": trainer.id}] * 2
    assert published == [row.id for row in sent]
    assert changes_recorded(db_session)[-2:] == ["trainer.feed_renewed", "trainer.feed_sent"]
    # The token is in no outbox row and no journal entry: it is derived when written.
    token = registration_token(TEST_SECRET, "trainer-feed", trainer.id, 1)
    assert token not in str([row.payload for row in sent])


def test_the_email_waits_for_the_commit(app, db_session, trainer, published):
    with app.app_context():
        send_trainer_feed(db_session, trainer, renew=True)
        assert published == []

        db_session.commit()

    assert published == [row.id for row in feed_emails(db_session)] != []


def test_the_trainer_page_sends_the_link_or_a_new_one(
    client, accounts, db_session, trainer, published
):
    account = accounts()
    log_in(client, account)

    page = client.get(f"/organiser/trainers/{trainer.id}").get_data(as_text=True)
    sent = post_form(client, f"/organiser/trainers/{trainer.id}/feed", renew="false")
    renewed = post_form(client, f"/organiser/trainers/{trainer.id}/feed")

    assert "Agenda du formateur" in page and "Lui envoyer le lien par e-mail" in page
    assert sent.status_code == renewed.status_code == 303
    assert renewed.headers["Location"].endswith(f"/organiser/trainers/{trainer.id}")
    db_session.refresh(trainer)
    assert trainer.feed_token_version == 1
    assert len(feed_emails(db_session)) == 2
    assert changes_recorded(db_session)[-2:] == ["trainer.feed_sent", "trainer.feed_renewed"]


def planning_token(organiser, version: int) -> str:
    return registration_token(TEST_SECRET, "planning-feed", organiser.id, version)


def test_the_api_gives_and_renews_the_organiser_planning_link(client, accounts, db_session):
    account = accounts()

    shown = client.get("/api/v1/account/planning-feed", headers=account.bearer)
    renewed = client.post("/api/v1/account/planning-feed", headers=account.bearer)

    assert shown.status_code == 200
    assert f"/feeds/planning/{planning_token(account.organiser, 0)}.ics" in shown.json["link"]
    assert renewed.status_code == 200
    assert f"/feeds/planning/{planning_token(account.organiser, 1)}.ics" in renewed.json["link"]
    assert changes_recorded(db_session)[-1] == "planning_feed.renewed"


def test_the_account_page_shows_the_planning_link_and_renews_it(client, accounts, db_session):
    account = accounts()
    log_in(client, account)

    before = client.get("/organiser/account").get_data(as_text=True)
    renewed = post_form(client, "/organiser/account/planning-feed")
    after = client.get("/organiser/account").get_data(as_text=True)

    assert f"/feeds/planning/{planning_token(account.organiser, 0)}.ics" in before
    assert renewed.status_code == 303
    assert planning_token(account.organiser, 0) not in after
    assert f"/feeds/planning/{planning_token(account.organiser, 1)}.ics" in after
    assert changes_recorded(db_session)[-1] == "planning_feed.renewed"
