"""The copies of an organiser message as the worker makes them (in-process): one per
recipient in the language the message was written in for them, placeholders filled, plain
text kept plain in the HTML part; delivering the same rows again makes no second copy, and an
erased recipient's copy is never written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.notifications import operations
from shared.domain import organiser_messages
from shared.domain.privacy import anonymise
from shared.models import EmailKind, OrganiserMessage, OutboxMessage, SendMode

pytestmark = pytest.mark.usefixtures("app_context")

TEXTS = {
    "fr": {"subject": "Pour {first_name}", "body": "Bonjour {first_name},\n\n<b>{group}</b>"},
    "ar": {"subject": "إلى {first_name}", "body": "مرحبًا {first_name}"},
}


def released(session, group, **fields):
    message = OrganiserMessage(
        event_id=group.event_id,
        audience=organiser_messages.Audience().as_json(),
        texts=TEXTS,
        send_mode=SendMode.NOW,
        **fields,
    )
    session.add(message)
    session.flush()
    organiser_messages.release(session, message)
    return message


def outbox_ids(session):
    return list(
        session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.kind == EmailKind.ORGANISER_MESSAGE)
        )
    )


def test_each_copy_is_written_for_its_reader_once(db_session, make):
    group = make.group()
    awa = make.registration(group, first_name="Awa", language="ar")
    olena = make.registration(group, first_name="Olena", language="uk")
    message = released(db_session, group)
    rows = outbox_ids(db_session)

    first = operations.create_messages(db_session, rows)
    again = operations.create_messages(db_session, rows)
    built = {}
    for copy_id in first:
        email = operations.build(db_session, copy_id)
        built[email.recipients[0]] = email

    assert len(first) == 2 and again == first  # still queued: the same rows, none new
    arabic, french = built[awa.email], built[olena.email]
    assert arabic.subject == "إلى Awa"
    assert arabic.extra_headers["Content-Language"] == "ar"
    assert french.subject == "Pour Olena"  # Ukrainian was not written: French
    assert "Bonjour Olena," in french.body
    assert "&lt;b&gt;" in french.html and "<b>" not in french.html
    # Built again (a retry), a copy keeps its Message-ID.
    assert {operations.build(db_session, i).msgId for i in first} == {
        arabic.msgId,
        french.msgId,
    }
    assert message.recipient_count == 2


def test_an_erased_recipient_gets_no_copy(db_session, make):
    group = make.group()
    erased = make.registration(group)
    released(db_session, group)
    anonymise(erased)
    db_session.flush()

    assert operations.create_messages(db_session, outbox_ids(db_session)) == []
