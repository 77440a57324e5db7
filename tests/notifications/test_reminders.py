"""Reminders before each session date, with a controlled clock: once per registration and
date, never for cancelled registrations, dates or groups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.notifications import operations
from shared.database import utcnow
from shared.domain.registrations import cancel
from shared.models import EmailMessage
from tests.support.factories import local

TWO_DAYS = timedelta(days=2)


pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def group(make):
    return make.group(
        make.event(title={"fr": "Atelier", "en": "Workshop", "uk": "Семінар"}),
        capacity=2,
        dates=[
            (local("2030-11-19T09:30"), local("2030-11-19T16:00")),
            (local("2030-12-03T09:30"), local("2030-12-03T16:00")),
        ],
    )


def reminders(session, now, lead=TWO_DAYS):
    """Schedule at ``now``; return the (registration, date) pairs of the new reminders."""
    ids = operations.schedule_reminders(session, now=now, lead=lead)
    rows = [session.get(EmailMessage, i) for i in ids]
    return sorted((m.registration_id, m.dedupe_key.rsplit(":", 1)[1]) for m in rows)


def test_one_reminder_per_registration_and_date(db_session, make, group):
    first, second = make.registration(group), make.registration(group, language="en")
    make.registration(group, email="waiting@example.org")  # waitlisted: no place to remind of
    cancel(db_session, make.registration(make.group(group.event), email="gone@example.org"))
    day_one, day_two = (str(d.id) for d in group.dates)

    assert reminders(db_session, local("2030-11-17T09:00")) == []  # more than two days ahead
    assert reminders(db_session, local("2030-11-17T10:00")) == [
        (first.id, day_one),
        (second.id, day_one),
    ]
    assert reminders(db_session, local("2030-11-18T10:00")) == []
    assert reminders(db_session, local("2030-11-19T09:00")) == []
    assert reminders(db_session, local("2030-12-02T08:00")) == [
        (first.id, day_two),
        (second.id, day_two),
    ]
    assert reminders(db_session, local("2030-12-03T08:00")) == []
    assert db_session.query(EmailMessage).filter_by(kind="reminder").count() == 4


def test_no_reminder_for_a_cancelled_date_group_or_registration(db_session, make, group):
    make.registration(group)
    leaving = make.registration(group, email="leaving@example.org")
    group.dates[0].cancelled_at = utcnow()
    cancel(db_session, leaving)
    called_off = make.group(group.event, dates=[(group.dates[1].starts_at, group.dates[1].ends_at)])
    make.registration(called_off, email="called-off@example.org")
    called_off.cancelled_at = utcnow()
    db_session.flush()

    assert reminders(db_session, local("2030-11-18T10:00")) == []
    [(_registration, date_id)] = reminders(db_session, local("2030-12-02T10:00"))
    assert date_id == str(group.dates[1].id)


def test_lead_time_is_configurable(db_session, make, group):
    make.registration(group)

    assert reminders(db_session, local("2030-11-12T10:00"), lead=timedelta(days=7)) != []


def test_reminder_names_the_date_time_and_place_in_the_participants_language(
    db_session, make, group
):
    make.registration(group, language="en")
    [message_id] = operations.schedule_reminders(
        db_session, now=local("2030-11-18T10:00"), lead=TWO_DAYS
    )

    email = operations.build(db_session, message_id)

    assert email.subject == "Reminder: Workshop, Tuesday, November 19, 2030"
    assert (
        "We look forward to seeing you on Tuesday, November 19, 2030, 09:30–16:00, "
        "for “Workshop”" in email.body
    )
    assert "DICS, avenue Gouverneur Bovesse 100, 5100 Jambes" in email.body
    assert email.msgId == db_session.get(EmailMessage, message_id).message_id


def test_once_the_training_began_a_reminder_no_longer_offers_to_cancel(db_session, make):
    began = utcnow() - timedelta(hours=3)
    group = make.group(
        make.event(registration_opens_at=None),
        dates=[
            (began, began + timedelta(hours=6)),
            (began + timedelta(days=1), began + timedelta(days=1, hours=6)),
        ],
    )
    make.registration(group, at=began - timedelta(days=7), language="en")
    [message_id] = operations.schedule_reminders(db_session, now=utcnow(), lead=TWO_DAYS)

    email = operations.build(db_session, message_id)

    assert "If you cannot come, please let the organisers know." in email.body
    assert "cancel" not in email.body.lower()
    assert "View your registration:" in email.body


def test_before_the_training_a_reminder_offers_to_cancel(db_session, make, group):
    make.registration(group, language="en")
    [message_id] = operations.schedule_reminders(
        db_session, now=local("2030-11-18T10:00"), lead=TWO_DAYS
    )

    email = operations.build(db_session, message_id)

    assert "cancel your registration with the link below" in email.body
    assert "View or cancel your registration:" in email.body
