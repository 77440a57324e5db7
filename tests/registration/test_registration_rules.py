"""The rules of registering: the two-date commitment, one registration per person and event,
capacity and the waiting list, the registration window, cancellation and tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from shared.database import utcnow
from shared.domain import registrations as rules
from shared.domain.registrations import Participant, reissue_token
from shared.models import AttendanceRule, EmailKind, OutboxMessage, Registration, Role
from tests.registration.helpers import register, registration_body
from tests.support.factories import BRUSSELS
from tests.support.links import manage_token


def registrations_count(session) -> int:
    return session.scalar(select(func.count(Registration.id)))


def outbox_kinds(session, registration_id=None) -> list[str]:
    query = select(OutboxMessage.kind).order_by(OutboxMessage.id)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return list(session.scalars(query))


def test_registration_is_confirmed_and_queues_its_confirmation(client, make, db_session):
    group = make.group(capacity=20)

    response = register(client, group, email="Mina@Example.org ")

    assert response.status_code == 201
    body = response.json
    assert body["status"] == "confirmed"
    assert body["waitlist_position"] is None
    assert len(body["manage_token"]) >= 32
    assert body["manage_token"] != body["calendar_token"]
    stored = db_session.get(Registration, body["id"])
    assert stored.email_normalized == "mina@example.org"
    assert outbox_kinds(db_session, body["id"]) == [EmailKind.CONFIRMED]


def test_missing_commitment_is_refused_naming_both_dates(client, make, db_session):
    group = make.group()

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations",
        json=registration_body(group.slug, commit_all_dates=False),
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 422
    [message] = response.json["errors"]["commit_all_dates"]
    days = [format_date(d.starts_at.astimezone(BRUSSELS), "full", locale="en") for d in group.dates]
    assert message == f"You must commit to attend every date: {days[0]}, {days[1]}."
    assert registrations_count(db_session) == 0


def test_second_registration_of_the_same_person_is_409_and_keeps_the_first(
    client, make, db_session
):
    event = make.event()
    first_group, other_group = make.group(event), make.group(event)
    first = register(client, first_group, email="sam@example.org", first_name="Sam")

    again = register(client, other_group, email="  SAM@example.org", first_name="Samuel")

    assert again.status_code == 409
    assert again.json["code"] == "already_registered"
    kept = db_session.get(Registration, first.json["id"])
    db_session.refresh(kept)
    assert (kept.group_id, kept.first_name, kept.status) == (first_group.id, "Sam", "confirmed")
    assert registrations_count(db_session) == 1


def test_the_same_person_may_register_again_after_cancelling(client, make):
    group = make.group()
    first = register(client, group, email="sam@example.org")
    client.post(f"/api/v1/registrations/{first.json['manage_token']}/cancel")

    again = register(client, group, email="sam@example.org")

    assert again.status_code == 201


def test_full_group_puts_newcomers_on_the_waiting_list_in_order(client, make, db_session):
    group = make.group(capacity=2)
    statuses = [register(client, group).json for _ in range(5)]

    assert [s["status"] for s in statuses] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [s["waitlist_position"] for s in statuses[2:]] == [1, 2, 3]
    assert EmailKind.GROUP_FULL in outbox_kinds(db_session)
    assert outbox_kinds(db_session, statuses[3]["id"]) == [EmailKind.WAITLISTED]
    listed = client.get(f"/api/v1/events/{group.event.slug}").json["groups"][0]
    assert (listed["seats_left"], listed["waitlist_length"]) == (0, 3)


def test_cancelling_a_confirmed_place_promotes_the_first_waitlisted(client, make, db_session):
    group = make.group(capacity=1)
    confirmed, first_waiting, second_waiting = (register(client, group).json for _ in range(3))

    response = client.post(f"/api/v1/registrations/{confirmed['manage_token']}/cancel")

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    promoted = client.get(f"/api/v1/registrations/{first_waiting['manage_token']}").json
    still_waiting = client.get(f"/api/v1/registrations/{second_waiting['manage_token']}").json
    assert (promoted["status"], promoted["waitlist_position"]) == ("confirmed", None)
    assert (still_waiting["status"], still_waiting["waitlist_position"]) == ("waitlisted", 1)
    assert outbox_kinds(db_session, confirmed["id"])[-1] == EmailKind.CANCELLED
    assert outbox_kinds(db_session, first_waiting["id"])[-1] == EmailKind.PROMOTED


def test_cancelling_from_the_waiting_list_closes_the_gap(client, make):
    group = make.group(capacity=1)
    register(client, group)
    waiting = [register(client, group).json for _ in range(3)]

    client.post(f"/api/v1/registrations/{waiting[0]['manage_token']}/cancel")

    positions = [
        client.get(f"/api/v1/registrations/{w['manage_token']}").json["waitlist_position"]
        for w in waiting[1:]
    ]
    assert positions == [1, 2]


def test_cancelling_twice_changes_nothing_the_second_time(client, make, db_session):
    group = make.group()
    token = register(client, group).json["manage_token"]
    first = client.post(f"/api/v1/registrations/{token}/cancel")

    second = client.post(f"/api/v1/registrations/{token}/cancel")

    assert second.status_code == 200
    assert second.json["cancelled_at"] == first.json["cancelled_at"]
    assert outbox_kinds(db_session).count(EmailKind.CANCELLED) == 1


@pytest.mark.parametrize(
    ("event_fields", "expected"),
    [
        ({"registration_opens_at": utcnow() + timedelta(days=3)}, "Registration opens on"),
        ({"registration_closes_at": utcnow() - timedelta(minutes=1)}, "Registration is closed."),
        ({"attendance_rule": AttendanceRule.NO_REGISTRATION}, "no registration is needed"),
    ],
)
def test_registration_outside_its_window_is_409(client, make, db_session, event_fields, expected):
    group = make.group(make.event(**event_fields))

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations",
        json=registration_body(group.slug),
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 409
    assert expected in response.json["message"]
    assert registrations_count(db_session) == 0


def test_registration_closes_once_the_first_date_has_begun(client, make):
    now = utcnow()
    group = make.group(
        dates=[
            (now - timedelta(hours=1), now + timedelta(hours=5)),
            (now + timedelta(days=7), now + timedelta(days=7, hours=6)),
        ]
    )

    response = register(client, group)

    assert response.status_code == 409
    assert response.json["code"] == "registration_closed"


def test_cancelled_group_takes_no_registration(client, make):
    group = make.group(cancelled_at=utcnow())

    assert register(client, group).status_code == 409


def test_one_date_event_needs_a_date_of_the_chosen_group(client, make, db_session):
    event = make.event(attendance_rule=AttendanceRule.ONE_DATE)
    group, other = make.group(event), make.group(event)

    missing = register(client, group, commit_all_dates=False)
    foreign = register(client, group, commit_all_dates=False, date=other.dates[0].id)
    chosen = register(client, group, commit_all_dates=False, date=group.dates[1].id)

    assert (missing.status_code, foreign.status_code) == (422, 422)
    assert "date" in missing.json["errors"]
    assert chosen.status_code == 201
    assert db_session.get(Registration, chosen.json["id"]).session_date_id == group.dates[1].id


def test_manage_token_opens_the_registration_and_a_replaced_one_is_gone(client, make, db_session):
    group = make.group()
    registration = make.registration(group)
    old_token = manage_token(registration)

    reissue_token(db_session, registration, kind="manage")
    db_session.commit()

    assert client.get(f"/api/v1/registrations/{manage_token(registration)}").status_code == 200
    assert client.get(f"/api/v1/registrations/{old_token}").status_code == 410
    assert client.post(f"/api/v1/registrations/{old_token}/cancel").status_code == 410
    assert client.get("/api/v1/registrations/unknown-token").status_code == 404


def test_a_registration_rolled_back_leaves_nothing_behind_in_its_session(app, make, db_session):
    group = make.group()
    person = Participant("Ana", "Silva", "ana@example.org", Role.RESEARCHER, "fr")
    with app.test_request_context():
        first = rules.register(db_session, group.event, group, person, commit_all_dates=True)
        db_session.rollback()
        again = rules.register(db_session, group.event, group, person, commit_all_dates=True)

    assert first not in db_session
    assert again in db_session
    assert registrations_count(db_session) == 1
