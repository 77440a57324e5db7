"""A registration made through the API produces one email, over real processes: the
registration service, Redis, a Celery worker and an SMTP server."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from shared.ical import date_uid
from shared.models import DeliveryStatus
from tests.notifications.conftest import BASE_URL, messages_in
from tests.support.mail import eventually

EXPECTED = {
    "fr": {
        "subject": "Inscription confirmée : Pratiquer l'action et l'évaluation expérimentalistes",
        "greeting": "Bonjour Awa,",
        "dates": ["mardi 1 octobre 2030, 09:30–16:00", "mardi 5 novembre 2030, 09:30–16:00"],
        "manage": "Consulter ou annuler votre inscription",
    },
    "en": {
        "subject": "Registration confirmed: Practising experimentalist action and evaluation",
        "greeting": "Hello Awa,",
        "dates": [
            "Tuesday, October 1, 2030, 09:30–16:00",
            "Tuesday, November 5, 2030, 09:30–16:00",
        ],
        "manage": "View or cancel your registration",
    },
    "uk": {
        "subject": "Реєстрацію підтверджено: Практика експерименталістської дії та оцінювання",
        "greeting": "Вітаємо, Awa!",
        "dates": [
            "вівторок, 1 жовтня 2030\u202fр., 09:30–16:00",
            "вівторок, 5 листопада 2030\u202fр., 09:30–16:00",
        ],
        "manage": "Переглянути або скасувати реєстрацію",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fr", "en", "uk"])
def test_confirmation_email_speaks_the_participants_language_and_carries_the_invitation(
    language, workshop, register, start_worker, smtp, committed
):
    start_worker()
    address = f"awa.{language}@example.org"

    registration = register(workshop, email=address, language=language)

    [email] = smtp.mailbox.wait_for(1)
    expected = EXPECTED[language]
    assert email["To"] == address
    # A long subject is folded onto the next line; Python's parser keeps the fold's space.
    assert email["Subject"].strip() == expected["subject"]
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    manage_link = f"{BASE_URL}/manage/{registration['manage_token']}"
    for part in (text, html):
        assert expected["greeting"] in part
        assert all(day in part for day in expected["dates"])
        assert "DICS, avenue Gouverneur Bovesse 100, 5100 Jambes" in part
        assert "reseau@example.org" in part
        assert manage_link in part
        assert expected["manage"] in part
    attachments = {part.get_content_type(): part for part in email.iter_attachments()}
    assert sorted(attachments) == ["image/png", "text/calendar"]  # the check-in code, the dates
    attachment = attachments["text/calendar"]
    assert attachment.get_param("method") == "PUBLISH"
    calendar = Calendar.from_ical(attachment.get_content())
    assert calendar["METHOD"] == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    assert {str(e["UID"]) for e in events} == {date_uid(d) for d in workshop.dates}
    assert [e["DTSTART"].params["TZID"] for e in events] == ["Europe/Brussels"] * 2
    assert [e.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") for e in events] == [
        "2030-10-01 09:30",
        "2030-11-05 09:30",
    ]
    [row] = eventually(lambda: messages_in(committed, status=DeliveryStatus.SENT), what="sent")
    assert row.recipient == address
    assert row.language == language
    assert row.attempts == 1
    assert email["Message-ID"] == row.message_id
