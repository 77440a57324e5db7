"""Place squatting: where an event asks for it, a registration counts only once confirmed
from its email within the event's hours; unconfirmed, its place is released and the waiting
list moves on; and the answer never tells a stranger whether an address is registered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.database import utcnow
from shared.domain import registrations as rules
from shared.domain.confirmation import confirmation_token, release_unconfirmed
from shared.models import EmailKind, OutboxMessage, Registration, RegistrationStatus, Role
from tests.registration.helpers import register
from tests.support.pages import csrf_token

HOURS = 24


@pytest.fixture(autouse=True)
def app_context(app):
    """The domain derives the confirmation link under the application's secret key."""
    with app.app_context():
        yield


def outbox_kinds(session, registration_id: int) -> list[str]:
    query = select(OutboxMessage.kind).where(OutboxMessage.registration_id == registration_id)
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def stored(session, email: str) -> Registration:
    return session.scalar(select(Registration).where(Registration.email_normalized == email))


def participant(email: str) -> rules.Participant:
    return rules.Participant("Ada", "Squat", email, Role.OTHER, "fr")


def registered(session, group, email: str, now) -> Registration:
    rules.register(session, group.event, group, participant(email), commit_all_dates=True, now=now)
    return stored(session, email)


def test_without_the_setting_registering_is_one_step_and_a_duplicate_is_refused(
    client, make, db_session
):
    group = make.group(capacity=20)

    first = register(client, group, email="mina@example.org")
    again = register(client, group, email="mina@example.org")

    assert group.event.confirmation_hours is None
    assert first.status_code == 201
    assert first.json["status"] == "confirmed" and first.json["manage_token"]
    assert first.json["confirm_by"] is None
    assert outbox_kinds(db_session, first.json["id"]) == [EmailKind.CONFIRMED]
    assert again.status_code == 409


def test_the_answer_carries_no_link_and_the_email_the_confirmation_link(client, make, db_session):
    group = make.group(make.event(confirmation_hours=HOURS), capacity=20)

    response = register(client, group, email="nour@example.org")

    assert response.status_code == 201
    body = response.json
    assert body["status"] == "awaiting_confirmation"
    assert body["confirm_by"]
    assert not {"id", "manage_token", "calendar_token"} & body.keys()
    registration = stored(db_session, "nour@example.org")
    assert registration.status is RegistrationStatus.CONFIRMED  # held, provisionally
    assert registration.confirm_by is not None and registration.email_confirmed_at is None
    assert outbox_kinds(db_session, registration.id) == [EmailKind.CONFIRM_REGISTRATION]


def test_a_duplicate_address_is_answered_exactly_as_a_new_one(client, make, db_session):
    group = make.group(make.event(confirmation_hours=HOURS), capacity=20)
    victim = register(client, group, email="victim@example.org", first_name="Ana")

    stranger = register(client, group, email="VICTIM@example.org ", first_name="Ana")
    newcomer = register(client, group, email="other@example.org", first_name="Ana")

    assert stranger.status_code == newcomer.status_code == victim.status_code == 201
    assert stranger.json.keys() == newcomer.json.keys()
    assert stranger.json["status"] == newcomer.json["status"]
    owner = stored(db_session, "victim@example.org")
    assert outbox_kinds(db_session, owner.id) == [
        EmailKind.CONFIRM_REGISTRATION,
        EmailKind.ALREADY_REGISTERED,
    ]
    assert len(db_session.scalars(select(Registration)).all()) == 2


def test_unconfirmed_places_are_released_after_the_hours_and_the_waiting_list_moves_on(
    client, make, db_session
):
    group = make.group(make.event(confirmation_hours=HOURS), capacity=2)
    now = utcnow()
    kept = registered(db_session, group, "kept@example.org", now)
    squatted = registered(db_session, group, "invented@example.org", now)
    waiting = registered(db_session, group, "waiting@example.org", now + timedelta(hours=2))
    assert waiting.status is RegistrationStatus.WAITLISTED
    kept_link = confirmation_token(kept.confirmation_nonce)
    squat_link = confirmation_token(squatted.confirmation_nonce)

    form = {"csrf_token": csrf_token(client, f"/confirm/{kept_link}")}
    confirmed = client.post(f"/confirm/{kept_link}", data=form)
    confirmed_again = client.post(f"/confirm/{kept_link}", data=form)
    db_session.expire_all()  # the pages wrote through sessions of their own
    released = release_unconfirmed(db_session, now + timedelta(hours=HOURS, seconds=1))

    assert confirmed.status_code == confirmed_again.status_code == 303
    assert released == [squatted.id]
    assert kept.status is RegistrationStatus.CONFIRMED and kept.email_confirmed_at is not None
    assert outbox_kinds(db_session, kept.id).count(EmailKind.CONFIRMED) == 1
    assert squatted.status is RegistrationStatus.CANCELLED
    assert waiting.status is RegistrationStatus.CONFIRMED
    assert EmailKind.PROMOTED in outbox_kinds(db_session, waiting.id)
    page = client.get(f"/confirm/{squat_link}", headers={"Accept-Language": "fr"})
    assert page.status_code == 410
    assert "la place a été libérée" in page.get_data(as_text=True)


def test_a_registration_counts_lapsed_places_as_free_before_the_sweep(make, db_session):
    group = make.group(make.event(confirmation_hours=1), capacity=1)
    now = utcnow()
    squatted = registered(db_session, group, "invented@example.org", now)

    later = registered(db_session, group, "real@example.org", now + timedelta(hours=2))

    assert squatted.status is RegistrationStatus.CANCELLED
    assert later.status is RegistrationStatus.CONFIRMED


def test_a_place_held_unconfirmed_counts_against_the_capacity(make, db_session):
    group = make.group(make.event(confirmation_hours=HOURS), capacity=1)
    now = utcnow()
    registered(db_session, group, "first@example.org", now)

    second = registered(db_session, group, "second@example.org", now + timedelta(hours=1))

    assert second.status is RegistrationStatus.WAITLISTED
