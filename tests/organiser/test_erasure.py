"""An organiser erases a participant on request: the place goes to the next in line, the
person's details are replaced, the erasure is logged, and no email goes to the erased."""

from __future__ import annotations

import json

from sqlalchemy import select

from shared.domain.privacy import ANONYMOUS, ERASED
from shared.models import (
    DeliveryStatus,
    EmailKind,
    EmailMessage,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from shared.outbox import queue_email
from tests.organiser.conftest import audit_actions, log_in, outbox_kinds, post_form


def test_erasing_a_participant_frees_the_place_and_replaces_their_details(
    client, make, accounts, db_session
):
    group = make.group(capacity=1)
    erased = make.registration(group, first_name="Iryna", email="iryna@example.org")
    waiting = make.registration(group)
    account = accounts(group.event)
    kinds_before = outbox_kinds(db_session)

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{erased.id}/erase",
        headers=account.bearer,
    )

    assert response.status_code == 200
    db_session.expire_all()
    erased, waiting = (
        db_session.get(Registration, erased.id),
        db_session.get(Registration, waiting.id),
    )
    assert (erased.first_name, erased.status) == (ANONYMOUS, RegistrationStatus.CANCELLED)
    assert "iryna" not in erased.email and erased.phone is None
    assert waiting.status is RegistrationStatus.CONFIRMED
    new_mail = outbox_kinds(db_session)[len(kinds_before) :]
    assert (EmailKind.PROMOTED, waiting.id) in new_mail
    assert all(registration_id != erased.id for _kind, registration_id in new_mail)
    assert ("registration.erased", account.organiser.id, erased.id) in audit_actions(db_session)


def identity(registration: Registration) -> tuple:
    """What may name the person: their names, addresses, phone and organisation."""
    return (
        registration.first_name,
        registration.last_name,
        registration.email,
        registration.email_normalized,
        registration.phone,
        registration.organisation,
    )


def erased_identity(registration: Registration) -> tuple:
    """What stays of an erased registration's identity: placeholders and nothing else."""
    address = f"anonymised-{registration.id}@invalid"
    return (ANONYMOUS, ANONYMOUS, address, address, None, None)


def test_erasing_twice_is_refused(client, make, accounts, db_session):
    group = make.group()
    registration = make.registration(
        group, phone="+32 470 12 34 56", organisation="Maison des Ukrainiens"
    )
    account = accounts(group.event)
    url = f"/api/v1/events/{group.event.slug}/registrations/{registration.id}/erase"

    first = client.post(url, headers=account.bearer)
    db_session.expire_all()
    after_first = db_session.get(Registration, registration.id)
    erased = (identity(after_first), after_first.anonymised_at, audit_actions(db_session))
    again = client.post(url, headers=account.bearer)

    assert first.status_code == 200
    assert erased[0] == erased_identity(registration)
    assert erased[1] is not None
    assert again.status_code == 422
    assert (again.json["code"], again.json["message"]) == (
        "invalid",
        "Les données de cette personne ont déjà été effacées.",
    )
    db_session.expire_all()
    after_again = db_session.get(Registration, registration.id)
    # The second attempt changed nothing and logged nothing.
    assert (identity(after_again), after_again.anonymised_at, audit_actions(db_session)) == erased


def test_erasing_from_the_roster_page(client, make, accounts, db_session):
    group = make.group()
    registration = make.registration(group, last_name="Kovalenko")
    account = accounts(group.event)
    log_in(client, account)

    response = post_form(
        client, f"/organiser/events/{group.event.slug}/registrations/{registration.id}/erase"
    )

    assert response.status_code in (302, 303)
    db_session.expire_all()
    stored = db_session.get(Registration, registration.id)
    assert identity(stored) == erased_identity(stored)
    assert ("registration.erased", account.organiser.id, stored.id) in audit_actions(db_session)


def test_erasing_redacts_the_persons_emails_and_stops_those_not_sent(
    client, make, accounts, db_session
):
    group = make.group()
    erased = make.registration(group, first_name="Iryna", email="iryna@example.org")
    kept = make.registration(group, email="kept@example.org")
    subject = "Inscription confirmée : Iryna"
    sent = make.email_message(erased, status=DeliveryStatus.SENT, subject=subject, last_error=None)
    failed = make.email_message(erased, last_error="550 <iryna@example.org> unknown")
    queued = make.email_message(erased, status=DeliveryStatus.QUEUED, subject=subject)
    other = make.email_message(kept, status=DeliveryStatus.SENT, subject=subject)
    outbox = queue_email(
        db_session, EmailKind.MOVED, registration=erased, payload={"from": "Iryna's group"}
    )
    db_session.commit()

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{erased.id}/erase",
        headers=accounts(group.event).bearer,
    )

    assert response.status_code == 200
    db_session.expire_all()
    log = {m.id: m for m in db_session.scalars(select(EmailMessage))}
    for message in (log[sent.id], log[failed.id], log[queued.id]):
        assert "iryna" not in json.dumps([message.recipient, message.subject, message.last_error])
    assert log[sent.id].status is DeliveryStatus.SENT
    assert (log[queued.id].status, log[queued.id].last_error) == (DeliveryStatus.FAILED, ERASED)
    assert db_session.get(OutboxMessage, outbox).payload == {}
    assert (log[other.id].recipient, log[other.id].subject) == ("kept@example.org", subject)
