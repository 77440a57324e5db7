"""A message organisers write to a group leaves over real processes: the registration API,
Redis, the Celery worker with its beat and an SMTP server; each participant reads it in their
language with the placeholders filled, once, with a stable Message-ID, one delivery-log row
each; a message scheduled a few seconds ahead leaves at its moment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.registration.accounts.auth import issue_token
from shared.database import utcnow
from shared.domain import organiser_messages
from shared.models import DeliveryStatus, EmailMessage, Event, Organiser, OrganiserMessage
from tests.notifications.conftest import BASE_URL, messages_in
from tests.support.mail import eventually

SUBJECTS = {
    "fr": "Salle changée pour {group}",
    "en": "Room changed for {group}",
    "uk": "Зала змінилася для {group}",
    "ar": "تغيرت القاعة لـ {group}",
}
BODIES = {
    "fr": "Bonjour {first_name},\n\nRendez-vous au 2e étage : {venue}.\n\nVoir : {manage_link}",
    "en": "Hello {first_name},\n\nMeet on the 2nd floor: {venue}.\n\nSee: {manage_link}",
    "uk": "Вітаємо, {first_name}!\n\nЗустрічаємося на 2-му поверсі: {venue}.",
    "ar": "مرحبًا {first_name}،\n\nنلتقي في الطابق الثاني: {venue}.",
}


def organiser_token(session, event: Event) -> str:
    """A committed organiser of ``event`` and their API token."""
    organiser = Organiser(
        email="organiser@example.org", name="Organiser", password_hash="-", events=[event]
    )
    session.add(organiser)
    session.flush()
    _api_token, token = issue_token(session, organiser)
    session.commit()
    return token


def message_body(**overrides):
    """A message to the group in four languages, sent now."""
    return {"subject": SUBJECTS, "body": BODIES, **overrides}


@pytest.mark.slow
def test_a_message_reaches_each_participant_in_their_language_once(
    workshop, register, registration_app, start_worker, smtp, committed
):
    start_worker()
    people = {
        language: register(workshop, email=f"awa.{language}@example.org", language=language)
        for language in ("fr", "en", "uk", "ar")
    }
    smtp.mailbox.wait_for(4)  # the confirmations
    token = organiser_token(committed, workshop.event)
    client = registration_app.test_client()

    answer = client.post(
        f"/api/v1/events/{workshop.event.slug}/messages",
        json=message_body(groups=[workshop.slug]),
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 201, answer.json
    emails = smtp.mailbox.wait_for(8)[4:]
    by_address = {email["To"]: email for email in emails}
    for language, registration in people.items():
        email = by_address[f"awa.{language}@example.org"]
        assert email["Subject"].strip() == SUBJECTS[language].replace("{group}", workshop.name)
        text = email.get_body(("plain",)).get_content()
        html = email.get_body(("html",)).get_content()
        first_line = BODIES[language].split("\n")[0].replace("{first_name}", "Awa")
        for part in (text, html):
            assert first_line in part
            assert "DICS, avenue Gouverneur Bovesse 100, 5100 Jambes" in part
        if language in ("fr", "en"):
            assert f"{BASE_URL}/manage/{registration['manage_token']}" in text
        assert email["Content-Language"] == language
    rows = eventually(
        lambda: (
            [
                m
                for m in messages_in(committed, status=DeliveryStatus.SENT)
                if m.organiser_message_id == answer.json["id"]
            ]
            if len(smtp.mailbox.messages) >= 8
            else None
        ),
        what="the copies recorded as sent",
    )
    assert len(rows) == 4
    assert {row.message_id for row in rows} == {by_address[r.recipient]["Message-ID"] for r in rows}

    # A second run of the scheduler, and of the delivery, sends nothing twice.
    assert organiser_messages.release_due(committed) == []
    committed.commit()
    committed.expire_all()
    assert committed.get(OrganiserMessage, answer.json["id"]).recipient_count == 4
    committed.commit()
    assert len(smtp.mailbox.messages) == 8


@pytest.mark.slow
def test_a_scheduled_message_leaves_at_its_moment_through_beat(
    workshop, register, registration_app, start_worker, smtp, committed
):
    start_worker(NOTIFICATIONS_MESSAGES_INTERVAL_S="0.5")
    register(workshop, email="awa@example.org", language="fr")
    smtp.mailbox.wait_for(1)
    token = organiser_token(committed, workshop.event)
    moment = utcnow() + timedelta(seconds=3)

    answer = registration_app.test_client().post(
        f"/api/v1/events/{workshop.event.slug}/messages",
        json=message_body(send="at", send_at=moment.isoformat()),
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 201, answer.json
    [_confirmation, email] = smtp.mailbox.wait_for(2)
    assert utcnow() >= moment
    assert email["Subject"].strip() == f"Salle changée pour {workshop.name}"
    committed.expire_all()
    message = committed.scalar(select(OrganiserMessage))
    assert message.recipient_count == 1
    copies = committed.scalars(
        select(EmailMessage).where(EmailMessage.organiser_message_id == message.id)
    ).all()
    assert len(copies) == 1
    committed.commit()
