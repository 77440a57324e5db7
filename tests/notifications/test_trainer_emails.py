"""Emails to trainers, in-process: their feed link in their language, and one email per change
request listing every date of theirs it changed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain import schedule
from shared.domain.staff_feeds import send_trainer_feed, trainer_feed_token
from shared.models import EmailKind, Trainer
from tests.notifications.test_account_kinds import emails_of

pytestmark = pytest.mark.usefixtures("app_context")


def a_trainer(db_session, languages: list[str], email: str = "nadia@example.org") -> Trainer:
    trainer = Trainer(name="Nadia Haddad", email=email, languages=languages)
    db_session.add(trainer)
    db_session.flush()
    return trainer


@pytest.mark.parametrize(
    ("languages", "expected", "subject"),
    [
        ([], "fr", "Votre agenda de formateur Atelier"),
        (["de", "uk", "en"], "uk", "Ваш календар тренера Atelier"),
        (["ar"], "ar", "تقويمك كمدرب في Atelier"),
    ],
)
def test_the_feed_link_goes_to_the_trainer_in_their_first_site_language(
    db_session, languages, expected, subject
):
    trainer = a_trainer(db_session, languages)

    send_trainer_feed(db_session, trainer, renew=True)
    [email] = emails_of(db_session, EmailKind.TRAINER_FEED)

    link = f"/feeds/trainers/{trainer_feed_token(trainer)}.ics?lang={expected}"
    assert email.recipients == ["nadia@example.org"]
    assert email.subject == subject
    assert email.extra_headers["Content-Language"] == expected
    assert link in email.body and link in email.html
    assert trainer.feed_token_version == 1


def test_a_shift_of_two_groups_sends_each_trainer_one_email_listing_every_date(db_session, make):
    nadia = a_trainer(db_session, ["fr"])
    olena = a_trainer(db_session, ["en"], email="olena@example.org")
    event = make.event()
    first, second = make.group(event), make.group(event)
    first.trainers, second.trainers = [nadia], [nadia, olena]
    db_session.flush()
    before = second.dates[0].starts_at

    schedule.shift_groups(db_session, [first, second], 7)
    sent = {
        email.recipients[0]: email
        for email in emails_of(db_session, EmailKind.TRAINER_DATES_CHANGED)
    }

    assert set(sent) == {"nadia@example.org", "olena@example.org"}
    french, english = sent["nadia@example.org"], sent["olena@example.org"]
    assert french.subject == "Vos séances ont changé"
    assert french.body.count(": déplacée du ") == 4
    assert english.subject == "Your sessions have changed"
    assert english.body.count(": moved from ") == 2
    assert f"{second.name} (DICS)" in english.body
    assert second.dates[0].starts_at - before == timedelta(days=7)
    assert "/feeds/trainers/" in french.body


def test_trainers_hear_of_a_date_called_off_added_and_of_groups_they_gain_or_lose(db_session, make):
    nadia = a_trainer(db_session, ["fr"])
    olena = a_trainer(db_session, ["fr"], email="olena@example.org")
    group = make.group()
    group.trainers = [nadia]
    db_session.flush()

    schedule.cancel_date(db_session, group.dates[0])
    start = group.dates[1].starts_at + timedelta(weeks=1)
    schedule.add_date(db_session, group, start, start + timedelta(hours=3))
    schedule.change_trainers(db_session, group, [olena])
    sent = [
        (e.recipients[0], e.body) for e in emails_of(db_session, EmailKind.TRAINER_DATES_CHANGED)
    ]

    assert [who for who, _body in sent] == [
        "nadia@example.org",
        "nadia@example.org",
        "olena@example.org",
        "nadia@example.org",
    ]
    assert "est annulée" in sent[0][1]
    assert "vous animez la séance du" in sent[1][1]
    # The new trainer hears of the two dates still held, the one called off left out.
    assert sent[2][1].count("vous animez la séance du") == 2
    assert sent[3][1].count("vous n'animez plus la séance du") == 2


def test_nobody_hears_of_a_draft_dates_until_it_is_published(db_session, make):
    nadia = a_trainer(db_session, ["fr"])
    group = make.group(make.event(published=False))
    group.trainers = [nadia]
    db_session.flush()

    schedule.cancel_date(db_session, group.dates[0])
    unpublished = emails_of(db_session, EmailKind.TRAINER_DATES_CHANGED)
    group.event.published = True
    schedule.announce_to_trainers(db_session, group.event)
    [published] = emails_of(db_session, EmailKind.TRAINER_DATES_CHANGED)

    assert unpublished == []
    # The date called off while a draft is in no feed of hers: only the held one is told.
    assert published.body.count("vous animez la séance du") == 1


def test_trainers_hear_of_a_new_place_for_each_coming_date(db_session, make):
    nadia = a_trainer(db_session, ["en"])
    group = make.group()
    group.trainers = [nadia]
    db_session.flush()

    schedule.change_venue(
        db_session, group, venue_name="Maison des Jeunes", street_address="rue Haute 4"
    )
    [email] = emails_of(db_session, EmailKind.TRAINER_DATES_CHANGED)

    assert email.recipients == ["nadia@example.org"]
    assert email.body.count("moves to Maison des Jeunes, rue Haute 4") == len(group.dates)
