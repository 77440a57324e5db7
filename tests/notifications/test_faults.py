"""No email is lost or sent twice when Redis, the worker or the SMTP server fails, and a
rolled-back change sends nothing: each case over real processes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.registration import create_app as create_registration_app
from shared.database import db
from shared.domain.registrations import Participant
from shared.domain.registrations import register as register_in_session
from shared.models import DeliveryStatus, OutboxMessage, Role
from tests.conftest import dispose
from tests.notifications.conftest import (
    create_organiser,
    messages_in,
    register_through,
)
from tests.support.mail import eventually
from tests.support.servers import HangingUpServer, RedisServer

pytestmark = pytest.mark.slow


def test_registration_succeeds_while_redis_is_down_and_its_email_follows_when_it_returns(
    tmp_path, base_config, workshop, committed, smtp, start_worker
):
    redis = RedisServer(tmp_path / "redis").start()
    try:
        start_worker(REDIS_URL=redis.url)
        registration_app = create_registration_app({**base_config, "REDIS_URL": redis.url})
        redis.stop()

        register_through(registration_app.test_client(), workshop, email="awa@example.org")
        dispose(registration_app)

        assert [row.kind for row in committed.scalars(select(OutboxMessage))] == ["confirmed"]
        committed.commit()
        assert messages_in(committed) == []
        redis = RedisServer(tmp_path / "redis", port=redis.port).start()
        [email] = smtp.mailbox.wait_for(1, timeout=90)
        assert email["To"] == "awa@example.org"
        eventually(lambda: messages_in(committed, status=DeliveryStatus.SENT), what="row sent")
    finally:
        redis.stop()


def test_registration_offers_its_email_to_a_silent_redis_once_then_again_later(
    base_config, workshop, committed
):
    with HangingUpServer() as redis:
        registration_app = create_registration_app({**base_config, "REDIS_URL": redis.url})

        register_through(registration_app.test_client(), workshop, email="awa@example.org")
        assert registration_app.extensions["handover"].drain()
        offered = redis.connections
        eventually(lambda: redis.connections >= 2, what="the offer made again in the background")
        dispose(registration_app)

    assert offered == 1  # one attempt: kombu's own retries would hold the thread for seconds
    assert [row.kind for row in committed.scalars(select(OutboxMessage))] == ["confirmed"]
    committed.commit()


def test_email_in_flight_when_the_worker_is_killed_is_delivered_once_after_a_restart(
    workshop, register, committed, smtp, start_worker
):
    smtp.mailbox.hold.set()
    worker = start_worker()
    register(workshop, email="awa@example.org")
    eventually(smtp.mailbox.in_flight.is_set, what="send in flight")
    [row] = messages_in(committed, status=DeliveryStatus.SENDING)

    worker.kill()

    eventually(lambda: smtp.mailbox.abandoned == 1, what="interrupted delivery")
    smtp.mailbox.hold.clear()
    assert smtp.mailbox.messages == []
    start_worker()
    [email] = smtp.mailbox.wait_for(1, timeout=60)
    [sent] = eventually(lambda: messages_in(committed, status=DeliveryStatus.SENT), what="row sent")
    assert sent.id == row.id
    assert sent.attempts == 2
    assert email["Message-ID"] == sent.message_id
    assert len(smtp.mailbox.messages) == 1


def test_smtp_outage_is_retried_until_the_server_returns(
    workshop, register, committed, smtp, start_worker
):
    smtp.stop()
    start_worker()

    register(workshop, email="awa@example.org")

    # Waiting for the row to be queued again, not merely claimed a second time: a second
    # attempt still connecting when the server returns would succeed on its own.
    [waiting] = eventually(
        lambda: [
            r for r in messages_in(committed, status=DeliveryStatus.QUEUED) if r.attempts >= 2
        ],
        what="two failed attempts",
    )
    assert "Connection refused" in (waiting.last_error or "")
    smtp.start()
    [email] = smtp.mailbox.wait_for(1)
    assert email["To"] == "awa@example.org"
    [sent] = eventually(lambda: messages_in(committed, status=DeliveryStatus.SENT), what="sent")
    assert sent.attempts >= 3
    assert sent.last_error is None


def test_smtp_down_past_the_retry_budget_fails_visibly_and_an_organiser_retry_delivers(
    app, workshop, register, committed, smtp, start_worker
):
    smtp.stop()
    start_worker(NOTIFICATIONS_MAX_RETRIES="2")
    register(workshop, email="awa@example.org")
    [failed] = eventually(
        lambda: messages_in(committed, status=DeliveryStatus.FAILED), what="row failed"
    )
    assert failed.attempts == 3
    token = create_organiser(committed, workshop.event)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    listed = client.get("/api/v1/messages?status=failed", headers=headers)

    assert listed.status_code == 200
    [entry] = listed.json
    assert entry["id"] == failed.id
    assert entry["recipient"] == "awa@example.org"
    assert entry["status"] == "failed"
    assert entry["attempts"] == 3
    assert "Connection refused" in entry["last_error"]
    smtp.start()

    retried = client.post(f"/api/v1/messages/{failed.id}/retry", headers=headers)

    assert retried.status_code == 202
    assert retried.json["status"] == "queued"
    [email] = smtp.mailbox.wait_for(1)
    assert email["To"] == "awa@example.org"
    [sent] = eventually(lambda: messages_in(committed, status=DeliveryStatus.SENT), what="sent")
    assert sent.id == failed.id


def test_rolled_back_registration_sends_nothing(
    registration_app, workshop, register, committed, smtp, start_worker
):
    start_worker()
    with registration_app.app_context():
        group = db.session.merge(workshop)
        participant = Participant("Rolled", "Back", "rolled-back@example.org", Role.OTHER, "fr")
        register_in_session(db.session, group.event, group, participant, commit_all_dates=True)
        db.session.rollback()

    register(workshop, email="committed@example.org")

    [email] = smtp.mailbox.wait_for(1)
    assert email["To"] == "committed@example.org"
    assert [r.recipient for r in messages_in(committed)] == ["committed@example.org"]
    assert len(list(committed.scalars(select(OutboxMessage)))) == 1
    committed.commit()
