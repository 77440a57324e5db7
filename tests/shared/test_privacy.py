"""Anonymisation after the retention period and the participant's own data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shared.database import utcnow
from shared.domain.privacy import (
    ANONYMOUS,
    anonymise_expired,
    personal_data,
    purge_delivered_outbox,
    purge_sent_messages,
)
from shared.models import (
    Attendance,
    DeliveryStatus,
    EmailKind,
    EmailMessage,
    OutboxMessage,
    RegistrationStatus,
)
from shared.outbox import queue_email
from tests.support.factories import local
from tests.support.links import manage_token


def two_dates(day: str):
    start = local(f"{day}T09:30")
    return [
        (start, start.replace(hour=16)),
        (start + timedelta(weeks=1), (start + timedelta(weeks=1)).replace(hour=16)),
    ]


def test_registrations_are_anonymised_months_after_the_groups_last_date(
    registration_app, db_session, make
):
    past = make.group(make.event(registration_opens_at=None), dates=two_dates("2030-01-08"))
    recent = make.group(make.event(registration_opens_at=None), dates=two_dates("2030-05-07"))
    old = make.registration(
        past, email="old@example.org", phone="081 00 00 00", organisation="CPAS"
    )
    kept = make.registration(recent, email="recent@example.org")
    db_session.add(Attendance(registration=old, session_date=past.dates[0], present=True))
    old_token = manage_token(old)
    now = local("2030-07-20T12:00")  # six months after 15 January, two after 14 May

    anonymised = anonymise_expired(db_session, months=6, now=now)

    assert anonymised == [old.id]
    assert (old.first_name, old.last_name, old.phone, old.organisation) == (
        ANONYMOUS,
        ANONYMOUS,
        None,
        None,
    )
    assert "old@example.org" not in old.email
    opened = registration_app.test_client().get(f"/manage/{old_token}")
    assert opened.status_code == 404, "the old manage link opens nothing"
    assert old.status is RegistrationStatus.CONFIRMED, "counts for reports are kept"
    assert [a.present for a in old.attendances] == [True], "presence for reports is kept"
    assert kept.email == "recent@example.org"
    assert anonymise_expired(db_session, months=6, now=now) == [], "once only"


def test_personal_data_holds_what_is_stored_about_the_person(registration_app, db_session, make):
    registration = make.registration(
        email="mina@example.org", first_name="Mina", organisation="ILI Namur"
    )

    with registration_app.app_context():  # the check-in code is derived under its secret
        data = personal_data(registration)

    assert data["person"]["first_name"] == "Mina"
    assert data["person"]["email"] == "mina@example.org"
    assert data["person"]["organisation"] == "ILI Namur"
    assert data["registration"]["status"] == "confirmed"
    assert data["registration"]["checkin_code"].startswith(f"{registration.id}-")
    assert len(data["group"]["dates"]) == 2
    assert data["consent"]["version"]


def test_delivered_outbox_rows_are_purged_after_their_retention_and_undelivered_kept(
    registration_app, db_session, make
):
    delivered, failed, waiting = (make.registration() for _ in range(3))
    outbox = {
        r.id: db_session.scalars(select(OutboxMessage).filter_by(registration_id=r.id)).one()
        for r in (delivered, failed, waiting)
    }
    make.email_message(
        delivered, outbox_id=outbox[delivered.id].id, status=DeliveryStatus.SENT, sent_at=utcnow()
    )
    make.email_message(failed, outbox_id=outbox[failed.id].id)  # failed: an organiser must see it
    later = utcnow() + timedelta(days=91)

    assert purge_delivered_outbox(db_session, days=90, now=utcnow()) == 0, "too recent"
    assert purge_delivered_outbox(db_session, days=90, now=later) == 1
    remaining = set(db_session.scalars(select(OutboxMessage.registration_id)))
    assert remaining == {failed.id, waiting.id}


def test_sent_messages_leave_the_delivery_log_after_their_retention(
    registration_app, db_session, make
):
    registration = make.registration()
    make.email_message(
        registration, status=DeliveryStatus.SENT, sent_at=utcnow() - timedelta(days=100)
    )
    make.email_message(
        registration, status=DeliveryStatus.SENT, sent_at=utcnow() - timedelta(days=10)
    )
    make.email_message(registration)  # failed, kept

    assert purge_sent_messages(db_session, days=90) == 1
    assert sorted(db_session.scalars(select(EmailMessage.status))) == ["failed", "sent"]


def test_the_retention_purge_redacts_the_emails_of_those_it_anonymises(
    registration_app, db_session, make
):
    past = make.group(make.event(registration_opens_at=None), dates=two_dates("2030-01-08"))
    old = make.registration(past, email="old@example.org")
    message = make.email_message(old, status=DeliveryStatus.SENT, subject="Bonjour Old")
    outbox = queue_email(db_session, EmailKind.MOVED, registration=old, payload={"from": "Old"})
    db_session.commit()

    assert anonymise_expired(db_session, months=6, now=local("2030-07-20T12:00")) == [old.id]

    db_session.expire_all()
    message = db_session.get(EmailMessage, message.id)
    assert (message.recipient, message.subject, message.last_error) == (old.email, None, None)
    assert "old@example.org" not in old.email
    assert db_session.get(OutboxMessage, outbox).payload == {}


def test_failed_messages_leave_the_delivery_log_after_their_retention(
    registration_app, db_session, make
):
    registration = make.registration()
    make.email_message(registration, updated_at=utcnow() - timedelta(days=100))
    kept = make.email_message(registration, updated_at=utcnow() - timedelta(days=10))

    assert purge_sent_messages(db_session, days=90) == 1
    assert list(db_session.scalars(select(EmailMessage.id))) == [kept.id]
