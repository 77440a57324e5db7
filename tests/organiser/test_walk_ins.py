"""Adding a participant by hand from a signed paper form (a walk-in), through the API and the
roster page: at any time, also once the group started, confirmed and never waitlisted, beyond
the capacity only when asked, with the confirmation email unless told not to, and audited."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from shared.database import utcnow
from shared.domain.registrations import PAPER_CONSENT_VERSION
from shared.models import (
    AttendanceRule,
    AuditEntry,
    EmailKind,
    Registration,
    RegistrationStatus,
)
from tests.organiser.conftest import (
    audit_actions,
    held_group,
    log_in,
    outbox_kinds,
    post_form,
    registered_before,
)

_serial = itertools.count(1)
PAPER_CONSENT_NEEDED = (
    "La personne doit avoir signé le formulaire papier : sa signature vaut consentement."
)


def walk_in(**overrides: Any) -> dict[str, Any]:
    """A valid walk-in body; keywords override fields."""
    n = next(_serial)
    body: dict[str, Any] = {
        "first_name": "Olena",
        "last_name": f"Kovalenko {n}",
        "email": f"olena.{n}@example.org",
        "phone": "+32 470 12 34 56",
        "organisation": "ASBL Nova",
        "role": "field_worker",
        "consent_on_paper": True,
    }
    body.update(overrides)
    return body


def participants_url(group) -> str:
    return f"/api/v1/events/{group.event.slug}/groups/{group.slug}/participants"


def registrations_of(db_session, group) -> list[Registration]:
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(Registration).where(Registration.group_id == group.id).order_by(Registration.id)
        )
    )


def last_audit_details(db_session) -> dict[str, Any]:
    return db_session.scalars(select(AuditEntry.details).order_by(AuditEntry.id.desc())).first()


@pytest.fixture
def started_group(make):
    """A group whose first date was last week and whose event closed registration since."""
    event = make.event(
        registration_opens_at=None,
        registration_closes_at=utcnow() - timedelta(days=10),
        language="uk",
    )
    return held_group(make, event, days_ago=(8, 1), capacity=3)


def test_a_walk_in_is_confirmed_after_the_group_started_told_and_audited(
    client, accounts, db_session, started_group
):
    account = accounts(started_group.event)
    revision = started_group.revision
    body = walk_in(email="  Olena.K@Example.org ")

    response = client.post(participants_url(started_group), json=body, headers=account.bearer)

    assert response.status_code == 201
    answer = response.json
    assert set(answer) == {
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "organisation",
        "role",
        "language",
        "status",
        "waitlist_position",
        "group",
    }
    assert (answer["status"], answer["waitlist_position"], answer["group"]) == (
        "confirmed",
        None,
        started_group.slug,
    )
    [stored] = registrations_of(db_session, started_group)
    assert stored.id == answer["id"]
    assert (stored.email, stored.email_normalized) == ("Olena.K@Example.org", "olena.k@example.org")
    # Paper consent is told apart from the website's; without a language, the event's.
    assert stored.consent_version == PAPER_CONSENT_VERSION == "paper-2026-11"
    assert stored.language == "uk"
    assert stored.session_date_id is None
    assert outbox_kinds(db_session) == [(EmailKind.CONFIRMED, stored.id)]
    assert audit_actions(db_session) == [
        ("registration.added_by_hand", account.organiser.id, stored.id)
    ]
    assert last_audit_details(db_session) == {
        "group": started_group.slug,
        "date_id": None,
        "over_capacity": False,
        "notified": True,
    }
    # The group's lock was taken, as for any change of its places: feeds see the change.
    db_session.refresh(started_group)
    assert started_group.revision == revision + 1


def test_notify_false_sends_no_confirmation(client, accounts, db_session, started_group):
    account = accounts(started_group.event)

    response = client.post(
        participants_url(started_group), json=walk_in(notify=False), headers=account.bearer
    )

    assert response.status_code == 201
    assert outbox_kinds(db_session) == []
    assert last_audit_details(db_session)["notified"] is False


def test_taking_the_last_place_tells_the_organisers_the_group_is_full(
    client, make, accounts, db_session
):
    group = held_group(make, capacity=1)
    account = accounts(group.event)

    response = client.post(participants_url(group), json=walk_in(), headers=account.bearer)

    assert response.status_code == 201
    assert outbox_kinds(db_session) == [
        (EmailKind.CONFIRMED, response.json["id"]),
        (EmailKind.GROUP_FULL, None),
    ]


def full_group(make, capacity=2):
    """A held group whose places are all taken, with one person waiting."""
    group = held_group(make, capacity=capacity)
    for _ in range(capacity + 1):
        registered_before(make, group)
    return group


def test_a_full_group_refuses_a_walk_in_and_stores_nothing(client, make, accounts, db_session):
    group = full_group(make)
    account = accounts(group.event)
    before = registrations_of(db_session, group)
    outbox_before = outbox_kinds(db_session)

    response = client.post(
        participants_url(group), json=walk_in(), headers={**account.bearer, "Accept-Language": "fr"}
    )

    assert response.status_code == 409
    assert response.json["code"] == "capacity_conflict"
    assert response.json["message"] == (
        "Il ne reste aucune place dans ce groupe : la personne ne peut y être ajoutée "
        "qu'au-delà du nombre de places."
    )
    assert response.json["errors"] == {
        "over_capacity": ["À choisir pour confirmer cette personne au-delà du nombre de places."]
    }
    assert [r.id for r in registrations_of(db_session, group)] == [r.id for r in before]
    assert outbox_kinds(db_session) == outbox_before
    assert audit_actions(db_session) == []


def test_over_capacity_confirms_beyond_the_places_and_is_audited(
    client, make, accounts, db_session
):
    group = full_group(make)
    account = accounts(group.event)

    response = client.post(
        participants_url(group), json=walk_in(over_capacity=True), headers=account.bearer
    )

    assert response.status_code == 201
    assert response.json["status"] == "confirmed"
    people = registrations_of(db_session, group)
    statuses = [(r.status, r.waitlist_position) for r in people]
    # Two confirmed before, the one waiting still first in line, the walk-in a third place.
    assert statuses == [
        (RegistrationStatus.CONFIRMED, None),
        (RegistrationStatus.CONFIRMED, None),
        (RegistrationStatus.WAITLISTED, 1),
        (RegistrationStatus.CONFIRMED, None),
    ]
    db_session.refresh(group)
    assert group.capacity == 2
    assert audit_actions(db_session)[-1] == (
        "registration.added_by_hand",
        account.organiser.id,
        response.json["id"],
    )
    assert last_audit_details(db_session)["over_capacity"] is True


def test_over_capacity_in_a_group_with_room_is_an_ordinary_place(
    client, accounts, db_session, started_group
):
    account = accounts(started_group.event)

    response = client.post(
        participants_url(started_group), json=walk_in(over_capacity=True), headers=account.bearer
    )

    assert response.status_code == 201
    assert last_audit_details(db_session)["over_capacity"] is False


@pytest.mark.parametrize("consent", [None, False])
def test_without_the_signed_paper_form_the_walk_in_is_refused(
    client, accounts, db_session, started_group, consent
):
    account = accounts(started_group.event)
    body = walk_in()
    if consent is None:
        del body["consent_on_paper"]
    else:
        body["consent_on_paper"] = consent

    response = client.post(participants_url(started_group), json=body, headers=account.bearer)

    assert response.status_code == 422
    assert response.json["errors"] == {"consent_on_paper": [PAPER_CONSENT_NEEDED]}
    assert registrations_of(db_session, started_group) == []


def test_the_participant_fields_follow_the_registration_rules(client, accounts, started_group):
    account = accounts(started_group.event)
    body = walk_in(first_name="  ", phone="not a phone", role="astronaut", group="x")

    response = client.post(participants_url(started_group), json=body, headers=account.bearer)

    assert response.status_code == 422
    assert set(response.json["errors"]) == {"first_name", "phone", "role", "group"}


def test_an_address_already_registered_for_the_event_is_refused(
    client, make, accounts, db_session, started_group
):
    elsewhere = held_group(make, started_group.event)
    # Before the event's registration closed.
    make.registration(elsewhere, at=utcnow() - timedelta(days=11), email="sam@example.org")
    account = accounts(started_group.event)

    response = client.post(
        participants_url(started_group),
        json=walk_in(email="SAM@example.org"),
        headers=account.bearer,
    )

    assert response.status_code == 409
    assert response.json["code"] == "already_registered"
    assert registrations_of(db_session, started_group) == []
    assert audit_actions(db_session) == []


def test_a_called_off_group_takes_nobody(client, make, accounts, db_session, started_group):
    account = accounts(started_group.event)
    called_off = client.post(
        f"/api/v1/events/{started_group.event.slug}/groups/{started_group.slug}/cancel",
        headers=account.bearer,
    )
    assert called_off.status_code == 200

    response = client.post(participants_url(started_group), json=walk_in(), headers=account.bearer)

    assert response.status_code == 409
    assert (response.json["code"], response.json["message"]) == (
        "registration_closed",
        "Ce groupe a été annulé.",
    )
    assert registrations_of(db_session, started_group) == []


def test_a_one_date_event_needs_one_of_the_groups_dates(client, make, accounts, db_session):
    event = make.event(attendance_rule=AttendanceRule.ONE_DATE, registration_opens_at=None)
    group = held_group(make, event)
    other = held_group(make, event)
    account = accounts(event)

    without = client.post(participants_url(group), json=walk_in(), headers=account.bearer)
    of_another_group = client.post(
        participants_url(group), json=walk_in(date=other.dates[0].id), headers=account.bearer
    )
    with_date = client.post(
        participants_url(group), json=walk_in(date=group.dates[1].id), headers=account.bearer
    )

    assert (without.status_code, set(without.json["errors"])) == (422, {"date"})
    assert (of_another_group.status_code, set(of_another_group.json["errors"])) == (422, {"date"})
    assert with_date.status_code == 201
    [stored] = registrations_of(db_session, group)
    assert stored.session_date_id == group.dates[1].id
    assert last_audit_details(db_session)["date_id"] == group.dates[1].id
    log_in(client, account)
    form = client.get(f"/organiser/events/{event.slug}/groups/{group.slug}/").get_data(as_text=True)
    assert '<select name="date" required>' in form
    assert all(f'<option value="{d.id}">' in form for d in group.dates)


def test_only_the_events_organisers_add_participants(client, make, accounts, started_group):
    stranger = accounts(make.event())

    anonymous = client.post(participants_url(started_group), json=walk_in())
    other_organiser = client.post(
        participants_url(started_group), json=walk_in(), headers=stranger.bearer
    )

    assert anonymous.status_code == 401
    assert other_organiser.status_code == 403


def test_the_roster_page_adds_a_walk_in_and_lists_them(client, accounts, db_session, started_group):
    account = accounts(started_group.event)
    log_in(client, account)
    roster_url = f"/organiser/events/{started_group.event.slug}/groups/{started_group.slug}/"
    assert "Ajouter une personne (formulaire papier)" in client.get(roster_url).get_data(
        as_text=True
    )

    response = post_form(
        client,
        f"{roster_url}participants",
        first_name="Iryna",
        last_name="Shevchenko",
        email="iryna@example.org",
        phone="",
        organisation="",
        role="researcher",
        language="fr",
        consent_on_paper="1",
        notify="1",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == roster_url
    page = client.get(roster_url).get_data(as_text=True)
    assert "Personne ajoutée au groupe." in page
    assert "Shevchenko Iryna" in page
    [stored] = registrations_of(db_session, started_group)
    assert (stored.status, stored.role, stored.language) == (
        RegistrationStatus.CONFIRMED,
        "researcher",
        "fr",
    )
    assert (stored.phone, stored.organisation) == (None, None)
    assert outbox_kinds(db_session) == [(EmailKind.CONFIRMED, stored.id)]
    assert audit_actions(db_session)[-1][0] == "registration.added_by_hand"


def test_the_roster_page_reads_unticked_boxes_as_no(client, make, accounts, db_session):
    group = full_group(make, capacity=1)
    account = accounts(group.event)
    log_in(client, account)
    url = f"/organiser/events/{group.event.slug}/groups/{group.slug}/participants"
    fields = {
        "first_name": "Jan",
        "last_name": "Claes",
        "email": "jan@example.org",
        "role": "other",
    }

    unsigned = post_form(client, url, **fields, notify="1")
    # No over-capacity box: the full group refuses; the form keeps what was typed.
    full = post_form(client, url, **fields, consent_on_paper="1", notify="1")
    # Over capacity, without the notify box: confirmed, and told nothing.
    added = post_form(client, url, **fields, consent_on_paper="1", over_capacity="1")

    assert unsigned.status_code == 422
    assert PAPER_CONSENT_NEEDED in unsigned.get_data(as_text=True)
    assert full.status_code == 409
    refused_page = full.get_data(as_text=True)
    assert "Il ne reste aucune place dans ce groupe" in refused_page
    assert 'value="jan@example.org"' in refused_page
    assert added.status_code == 303
    db_session.expire_all()
    [jan] = db_session.scalars(select(Registration).where(Registration.email == "jan@example.org"))
    assert jan.status is RegistrationStatus.CONFIRMED
    assert [
        kind for kind, registration_id in outbox_kinds(db_session) if registration_id == jan.id
    ] == []
    assert last_audit_details(db_session) == {
        "group": group.slug,
        "date_id": None,
        "over_capacity": True,
        "notified": False,
    }
