"""The MIME writer: what it writes reads back exactly as the email package's own output."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from flask import Flask
from flask_mail import Mail

from services.notifications.mime import MailMessage

TEXT = "Bonjour Awa,\n\nВаша реєстрація підтверджена : mardi 19 novembre, 9 h 30.\n"
INVITATION = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def mail_app() -> Iterator[Flask]:
    app = Flask(__name__)
    app.config["MAIL_DEFAULT_SENDER"] = "Centre Ćentre <no-reply@atelier.example.org>"
    Mail(app)
    with app.app_context():
        yield app


def message(recipient: str, subject: str) -> MailMessage:
    mail = MailMessage(
        subject=subject,
        recipients=[recipient],
        body=TEXT,
        html=f"<p>{TEXT}</p>",
        extra_headers={"Auto-Submitted": "auto-generated", "Content-Language": "uk"},
    )
    mail.msgId = "<outbox-1-abc@atelier.example.org>"
    mail.attach("invitation.ics", "text/calendar; method=PUBLISH; charset=utf-8", INVITATION)
    return mail


def read_back(raw: bytes) -> dict:
    parsed = message_from_bytes(raw, policy=policy.default)
    [attachment] = parsed.iter_attachments()
    return {
        "headers": [
            (name, str(value))
            for name, value in parsed.items()
            if name not in ("Content-Type", "Subject")
        ],
        "parts": [part.get_content_type() for part in parsed.walk()],
        "text": parsed.get_body(("plain",)).get_content(),
        "html": parsed.get_body(("html",)).get_content(),
        "attachment": (attachment.get_filename(), attachment.get_content()),
        "defects": [type(d).__name__ for part in parsed.walk() for d in part.defects],
    }


@pytest.mark.parametrize(
    ("recipient", "subject"),
    [
        ("awa@example.org", "Inscription confirmée"),
        ("Олена Коваль <olena@example.org>", "Реєстрацію підтверджено: Практика дії " * 4),
        ('"Ndiaye, Awa" <awa@example.org>', "Plain ASCII subject"),
        ("awa@example.org", "Registration confirmed: practising experimentalist action " * 3),
    ],
)
def test_the_written_message_reads_back_as_the_email_packages_own(mail_app, recipient, subject):
    mail = message(recipient, subject)
    mail.date = 1_800_000_000

    ours = mail.as_bytes()
    theirs = mail._message().as_bytes(policy=policy.SMTP)

    assert read_back(ours) == read_back(theirs)
    assert read_back(ours)["defects"] == []
    # Compared with the subject given: the email package itself drops a space when it folds
    # a long Cyrillic subject.
    assert message_from_bytes(ours, policy=policy.default)["Subject"] == subject
    assert ours.count(b"\n") == ours.count(b"\r\n")
    headers = ours.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in headers.split(b"\r\n")) <= 78
