"""Messages handed over together are claimed, rendered and sent as one batch; a refusal
for good fails its message alone, a passing failure puts the rest back for a retry."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from icalendar import Calendar
from redis import Redis

from services.notifications import operations, tasks
from services.notifications.smtp import kept_connection
from shared.models import DeliveryStatus, EmailMessage, OutboxMessage
from shared.queue import BATCH_SIZE, MAIL_QUEUE
from tests.support.mail import SmtpServer

pytestmark = pytest.mark.usefixtures("app_context")

PARTICIPANTS = [f"participant{n}@example.org" for n in range(5)]


@pytest.fixture
def mailer(app: Flask, smtp: SmtpServer) -> Iterator[Flask]:
    """The notifications app sending to the test's SMTP server, its connection closed after."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    operations.mail.init_app(app)
    yield app
    kept_connection(app).close()


@pytest.fixture
def batch(db_session, make) -> list[int]:
    """The queued confirmations of five participants of one group."""
    group = make.group()
    for address in PARTICIPANTS:
        make.registration(group, email=address)
    outbox_ids = [o.id for o in db_session.query(OutboxMessage).order_by(OutboxMessage.id)]
    return operations.create_messages(db_session, outbox_ids)


def statuses(session, message_ids):
    rows = session.query(EmailMessage).filter(EmailMessage.id.in_(message_ids))
    return {row.recipient: row.status for row in rows.populate_existing()}


def test_a_batch_goes_out_on_one_connection_each_with_the_groups_invitation(
    mailer, smtp, db_session, batch
):
    delivery = tasks.deliver(batch, retries=0)

    received = smtp.mailbox.wait_for(len(PARTICIPANTS))
    assert delivery.sent == len(PARTICIPANTS)
    assert sorted(m["To"] for m in received) == sorted(PARTICIPANTS)
    assert set(statuses(db_session, batch).values()) == {DeliveryStatus.SENT}
    assert kept_connection(mailer).opened == 1
    invitations = {
        part.get_content()
        for m in received
        for part in m.iter_attachments()
        if part.get_content_type() == "text/calendar"
    }
    assert len(invitations) == 1
    assert len(Calendar.from_ical(invitations.pop()).walk("VEVENT")) == 2


def test_a_recipient_refused_for_good_fails_alone_and_the_batch_goes_on(
    mailer, smtp, db_session, batch
):
    smtp.mailbox.refusals[PARTICIPANTS[1]] = "550 5.1.1 No such mailbox"

    delivery = tasks.deliver(batch, retries=0)

    assert (delivery.sent, delivery.retry_ids) == (len(PARTICIPANTS) - 1, [])
    found = statuses(db_session, batch)
    assert found.pop(PARTICIPANTS[1]) is DeliveryStatus.FAILED
    assert set(found.values()) == {DeliveryStatus.SENT}


@pytest.mark.parametrize("reply", ["550 5.1.1 No such mailbox", "451 4.3.0 Try again later"])
def test_a_refusal_is_logged_without_the_address_refused(
    mailer, smtp, db_session, batch, caplog, reply
):
    refused = PARTICIPANTS[1]
    smtp.mailbox.refusals[refused] = reply

    with caplog.at_level(logging.INFO, logger=tasks.log.name):
        tasks.deliver(batch, retries=0)

    [logged] = [r.getMessage() for r in caplog.records if r.name == tasks.log.name]
    assert "…@example.org" in logged
    assert refused not in logged


def test_a_passing_failure_puts_that_message_and_the_rest_back_for_one_retry(
    mailer, smtp, db_session, batch
):
    smtp.mailbox.refusals[PARTICIPANTS[2]] = "451 4.3.0 Try again later"

    delivery = tasks.deliver(batch, retries=0)

    assert delivery.sent == 2
    assert delivery.retry_in is not None
    found = statuses(db_session, batch)
    assert [found[address] for address in PARTICIPANTS] == [
        DeliveryStatus.SENT,
        DeliveryStatus.SENT,
        DeliveryStatus.QUEUED,
        DeliveryStatus.QUEUED,
        DeliveryStatus.QUEUED,
    ]
    assert sorted(delivery.retry_ids) == sorted(
        m.id for m in db_session.query(EmailMessage).filter_by(status=DeliveryStatus.QUEUED)
    )

    del smtp.mailbox.refusals[PARTICIPANTS[2]]
    retried = tasks.deliver(delivery.retry_ids, retries=1)

    assert retried.sent == 3
    assert set(statuses(db_session, batch).values()) == {DeliveryStatus.SENT}


def test_the_last_retry_fails_the_rest_of_the_batch_visibly(mailer, smtp, app, db_session, batch):
    smtp.mailbox.refusals[PARTICIPANTS[0]] = "451 4.3.0 Try again later"

    delivery = tasks.deliver(batch, retries=app.config["NOTIFICATIONS_MAX_RETRIES"])

    assert (delivery.sent, delivery.retry_ids) == (0, [])
    rows = db_session.query(EmailMessage).filter(EmailMessage.id.in_(batch)).populate_existing()
    assert {row.status for row in rows} == {DeliveryStatus.FAILED}
    assert all("451" in row.last_error for row in rows)


def test_a_message_that_cannot_be_written_fails_for_good_and_the_others_go_out(
    mailer, smtp, db_session, make, batch
):
    # Flask-Mail puts no address on the wire that is not ASCII (SMTPUTF8 is not spoken).
    make.registration(email="олена@example.org")
    outbox = db_session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
    [unwritable] = operations.create_messages(db_session, [outbox.id])

    delivery = tasks.deliver([*batch, unwritable], retries=0)

    assert (delivery.sent, delivery.retry_ids) == (len(PARTICIPANTS), [])
    row = db_session.get(EmailMessage, unwritable, populate_existing=True)
    assert row.status is DeliveryStatus.FAILED
    assert "UnicodeEncodeError" in row.last_error
    sent = db_session.query(EmailMessage).filter(EmailMessage.id.in_(batch)).populate_existing()
    assert all(m.subject.startswith("Inscription confirmée") for m in sent)


def test_more_than_a_batch_sends_the_first_here_and_hands_the_rest_to_other_tasks(
    mailer, smtp, redis_server, db_session, make
):
    group = make.group(capacity=None)
    for n in range(BATCH_SIZE + 5):
        make.registration(group, email=f"many{n}@example.org")
    outbox_ids = [o.id for o in db_session.query(OutboxMessage).order_by(OutboxMessage.id)]
    queue = Redis.from_url(redis_server.url)
    queue.delete(MAIL_QUEUE)

    created = tasks.deliver_outbox(outbox_ids)

    assert created == BATCH_SIZE + 5
    assert len(smtp.mailbox.wait_for(BATCH_SIZE)) == BATCH_SIZE
    queued = db_session.query(EmailMessage).filter_by(status=DeliveryStatus.QUEUED)
    [handed_over] = [json.loads(raw)["headers"] for raw in queue.lrange(MAIL_QUEUE, 0, -1)]
    assert handed_over["task"] == tasks.SEND_MESSAGES_TASK
    assert handed_over["argsrepr"] == repr(([m.id for m in queued.order_by(EmailMessage.id)],))
