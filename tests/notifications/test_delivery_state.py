"""The delivery state machine: claims, idempotent hand-over, retry delays and the sweep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services.notifications import operations
from shared.database import create_db_engine, utcnow
from shared.models import DeliveryStatus, EmailMessage, OutboxMessage
from tests.support.databases import waiting_on_a_transaction
from tests.support.factories import Factory
from tests.support.mail import eventually

STALE = {
    "stale_outbox": timedelta(minutes=1),
    "stale_queued": timedelta(minutes=40),
    "stale_sending": timedelta(minutes=5),
}


pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def message(db_session, make):
    """The queued confirmation of a fresh registration."""
    make.registration()
    outbox = db_session.query(OutboxMessage).filter_by(kind="confirmed").one()
    [message_id] = operations.create_messages(db_session, [outbox.id])
    return db_session.get(EmailMessage, message_id)


def set_state(session, message, status, age):
    session.query(EmailMessage).filter_by(id=message.id).update(
        {"status": status, "updated_at": utcnow() - age}
    )
    session.refresh(message)


def test_handing_over_an_outbox_row_twice_creates_its_messages_once(db_session, message):
    again = operations.create_messages(db_session, [message.outbox_id])

    assert again == [message.id]
    assert db_session.query(EmailMessage).count() == 1


def test_message_id_names_the_outbox_row_and_the_senders_domain(db_session, message):
    assert message.message_id.startswith(f"<outbox-{message.outbox_id}-")
    assert message.message_id.endswith("@atelier.example.org>")


@pytest.fixture
def postgres(committed_postgres) -> Iterator[Engine]:
    """An engine on a committed PostgreSQL database, where two transactions can overlap."""
    engine = create_db_engine(committed_postgres)
    yield engine
    engine.dispose()


def test_a_claimed_message_is_not_claimed_again(db_session, message):
    assert operations.claim(db_session, [message.id]) == [message.id]
    assert operations.claim(db_session, [message.id]) == []
    db_session.refresh(message)
    assert (message.status, message.attempts) == (DeliveryStatus.SENDING, 1)


def test_only_one_of_two_simultaneous_claims_of_a_queued_message_succeeds(postgres):
    with Session(postgres) as session:
        Factory(session).registration()
        [outbox_id] = session.scalars(select(OutboxMessage.id)).all()
        [message_id] = operations.create_messages(session, [outbox_id])
        session.commit()
    second: list[list[int]] = []

    def claim_meanwhile() -> None:
        with Session(postgres) as session:
            second.append(operations.claim(session, [message_id]))
            session.commit()

    with Session(postgres) as first:
        claimed = operations.claim(first, [message_id])
        rival = threading.Thread(target=claim_meanwhile)
        rival.start()
        # The second claim has read the message and waits for the first to end.
        eventually(lambda: waiting_on_a_transaction(postgres) == 1, what="the second claim")
        first.commit()
    rival.join(timeout=30)

    assert (claimed, second) == ([message_id], [[]])
    with Session(postgres) as session:
        stored = session.get(EmailMessage, message_id)
        assert (stored.status, stored.attempts) == (DeliveryStatus.SENDING, 1)


def test_a_sent_message_is_never_claimed_again(db_session, message):
    operations.claim(db_session, [message.id])
    operations.record_sent(db_session, message.id)

    assert operations.claim(db_session, [message.id]) == []
    db_session.refresh(message)
    assert message.status is DeliveryStatus.SENT
    assert message.sent_at is not None


def test_failed_attempt_waits_for_its_retry_and_the_last_one_fails_for_good(db_session, message):
    operations.claim(db_session, [message.id])
    operations.record_failure(db_session, [message.id], "SMTPServerDisconnected", final=False)
    db_session.refresh(message)
    assert (message.status, message.last_error) == (DeliveryStatus.QUEUED, "SMTPServerDisconnected")

    operations.claim(db_session, [message.id])
    operations.record_failure(db_session, [message.id], "ConnectionRefusedError", final=True)
    db_session.refresh(message)
    assert (message.status, message.attempts) == (DeliveryStatus.FAILED, 2)


def test_retry_delays_grow_exponentially_with_jitter_up_to_a_ceiling():
    for attempt in range(8):
        delays = [operations.retry_delay(attempt, base=30, ceiling=1800) for _ in range(50)]
        assert all(15 <= d <= min(1800, 30 * 2**attempt) for d in delays)
        assert len(set(delays)) > 1
    assert max(operations.retry_delay(5, base=30, ceiling=1800) for _ in range(200)) > 480


def test_sweep_finds_outbox_rows_never_handed_over(db_session, make):
    make.registration()
    outbox = db_session.query(OutboxMessage).one()

    assert operations.sweep(db_session, now=utcnow(), **STALE).outbox_ids == []
    later = utcnow() + timedelta(minutes=2)
    assert operations.sweep(db_session, now=later, **STALE).outbox_ids == [outbox.id]
    operations.create_messages(db_session, [outbox.id])
    assert operations.sweep(db_session, now=later, **STALE).outbox_ids == []


def test_sweep_requeues_a_send_interrupted_by_a_dead_worker(db_session, message):
    set_state(db_session, message, DeliveryStatus.SENDING, timedelta(minutes=1))
    assert operations.sweep(db_session, now=utcnow(), **STALE).message_ids == []

    set_state(db_session, message, DeliveryStatus.SENDING, timedelta(minutes=6))
    assert operations.sweep(db_session, now=utcnow(), **STALE).message_ids == [message.id]
    db_session.refresh(message)
    assert message.status is DeliveryStatus.QUEUED
    assert message.last_error == "interrupted while sending"


def test_sweep_enqueues_a_forgotten_queued_message_once(db_session, message):
    set_state(db_session, message, DeliveryStatus.QUEUED, timedelta(minutes=41))

    assert operations.sweep(db_session, now=utcnow(), **STALE).message_ids == [message.id]
    assert operations.sweep(db_session, now=utcnow(), **STALE).message_ids == []


@pytest.mark.parametrize("status", [DeliveryStatus.SENT, DeliveryStatus.FAILED])
def test_sweep_leaves_finished_messages_alone(db_session, message, status):
    set_state(db_session, message, status, timedelta(days=1))

    assert operations.sweep(db_session, now=utcnow(), **STALE).message_ids == []
    db_session.refresh(message)
    assert message.status is status
