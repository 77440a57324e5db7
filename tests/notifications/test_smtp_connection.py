"""A worker keeps its SMTP connection for consecutive sends, and a kept connection never
makes a send look done when the server did not take the message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_mail import Message

from services.notifications import operations
from services.notifications.smtp import kept_connection
from tests.support.mail import SmtpServer


@pytest.fixture
def mailer(app: Flask, smtp: SmtpServer) -> Iterator[Flask]:
    """The notifications app sending to the test's SMTP server, its connection closed after."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    operations.mail.init_app(app)
    with app.app_context():
        yield app
        kept_connection(app).close()


def message(recipient: str) -> Message:
    return Message(subject="Hello", recipients=[recipient], body="Hello.")


def received(smtp: SmtpServer, count: int) -> list[str]:
    """The recipients of the first ``count`` messages the server accepted, in order."""
    return [m["To"] for m in smtp.mailbox.wait_for(count)]


def test_consecutive_sends_share_one_connection(mailer, smtp):
    for n in range(3):
        operations.send(message(f"awa{n}@example.org"))

    assert received(smtp, 3) == ["awa0@example.org", "awa1@example.org", "awa2@example.org"]
    assert kept_connection(mailer).opened == 1


def test_connection_closed_by_a_restarted_server_is_replaced_before_the_next_send(mailer, smtp):
    operations.send(message("before@example.org"))
    smtp.stop()
    smtp.start()

    operations.send(message("after@example.org"))

    assert received(smtp, 2) == ["before@example.org", "after@example.org"]
    assert kept_connection(mailer).opened == 2


def test_send_while_the_server_is_down_fails_and_the_next_one_reconnects(mailer, smtp):
    operations.send(message("first@example.org"))
    smtp.stop()

    with pytest.raises(OSError):
        operations.send(message("lost@example.org"))

    smtp.start()
    operations.send(message("second@example.org"))

    assert received(smtp, 2) == ["first@example.org", "second@example.org"]
    assert kept_connection(mailer).opened == 2
