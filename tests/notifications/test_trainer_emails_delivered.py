"""Trainers' emails over real processes: the feed link sent from the registration service and
an event shifted through its API reach a real SMTP server (aiosmtpd) through Redis and a
Celery worker; the link opens the trainer's feed in the calendar service."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from services.calendar import create_app as create_calendar
from services.registration.accounts.auth import issue_token
from shared.models import Organiser, Trainer
from tests.calendar.conftest import calendar_config
from tests.calendar.ics import events
from tests.support.factories import Factory

pytestmark = pytest.mark.slow
SECRET_KEY = "test-secret"
FEED_LINK = re.compile(r"https?://\S+/feeds/trainers/[^\s\"<]+")


def test_a_trainer_gets_their_link_then_one_email_for_a_shifted_event(
    registration_app: Flask, committed: Session, start_worker, smtp, base_config
):
    factory = Factory(committed)
    event = factory.event(title={"fr": "Atelier numérique", "en": "Digital workshop"})
    first, second = factory.group(event), factory.group(event)
    trainer = Trainer(name="Olena", email="olena@example.org", languages=["en"])
    first.trainers = second.trainers = [trainer]
    organiser = Organiser(email="lead@example.org", password_hash="-", events=[event])
    committed.add_all([trainer, organiser])
    committed.flush()
    _api_token, token = issue_token(committed, organiser)
    committed.commit()
    start_worker(SECRET_KEY=SECRET_KEY)
    client = registration_app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}

    sent = client.post(f"/api/v1/trainers/{trainer.id}/feed", json={}, headers=bearer)
    [link_email] = smtp.mailbox.wait_for(1)
    shifted = client.post(f"/api/v1/events/{event.slug}/shift", json={"days": 7}, headers=bearer)
    [_link_email, changed] = smtp.mailbox.wait_for(2)

    assert sent.status_code == 202 and shifted.status_code == 200, shifted.json
    assert link_email["To"] == changed["To"] == "olena@example.org"
    assert link_email["Subject"] == "Your Atelier trainer calendar"
    assert changed["Subject"] == "Your sessions have changed"
    text = changed.get_body(("plain",)).get_content()
    assert text.count("Digital workshop — ") == 4 and text.count(": moved from ") == 4
    [link] = set(FEED_LINK.findall(link_email.get_body(("plain",)).get_content()))
    assert link.endswith("?lang=en")
    calendar = create_calendar(calendar_config(base_config))
    try:
        target = urlsplit(link)
        feed = calendar.test_client().get(f"{target.path}?{target.query}")
    finally:
        calendar.extensions["database"].engine.dispose()
        calendar.extensions["redis"].close()
    assert feed.status_code == 200
    assert len(events(feed.data)) == 4
