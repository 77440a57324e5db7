"""A group's roster through the API and the pages: who is confirmed, who waits, presence per
date and completion, and each roster action with its effect on places, waiting list, outbox
and audit log."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shared.models import Attendance, EmailKind, RegistrationStatus
from tests.organiser.conftest import (
    audit_actions,
    held_group,
    log_in,
    outbox_kinds,
    post_form,
    registered_before,
)
from tests.support.databases import listening


def full_group_with_waiting_list(make, capacity=2, waiting=2, **fields):
    """A group whose places are taken, with people waiting; returns (group, confirmed, waiting)."""
    group = make.group(capacity=capacity, **fields)
    confirmed = [make.registration(group) for _ in range(capacity)]
    waitlisted = [make.registration(group) for _ in range(waiting)]
    return group, confirmed, waitlisted


def roster_url(group):
    return f"/api/v1/events/{group.event.slug}/groups/{group.slug}/roster"


def test_roster_lists_confirmed_with_contact_waiting_list_in_order_and_counts(
    client, make, accounts
):
    group = make.group(capacity=2)
    first = make.registration(
        group, last_name="Dubois", phone="+32 81 77 51 91", organisation="CAI", role="researcher"
    )
    make.registration(group, last_name="Aerts")
    waiting = [make.registration(group, last_name=f"Waiting{n}") for n in range(2)]
    account = accounts(group.event)

    roster = client.get(roster_url(group), headers=account.bearer).json

    assert [line["participant"]["last_name"] for line in roster["confirmed"]] == ["Aerts", "Dubois"]
    dubois = roster["confirmed"][1]["participant"]
    assert (dubois["email"], dubois["phone"], dubois["organisation"], dubois["role"]) == (
        first.email,
        "+32 81 77 51 91",
        "CAI",
        "researcher",
    )
    assert [(p["id"], p["waitlist_position"]) for p in roster["waiting"]] == [
        (waiting[0].id, 1),
        (waiting[1].id, 2),
    ]
    assert (roster["capacity"], roster["confirmed_count"], roster["waitlist_length"]) == (2, 2, 2)
    assert roster["places_left"] == 0
    assert [d["id"] for d in roster["dates"]] == [d.id for d in group.dates]


def test_presence_per_date_and_completion_after_both_days(client, make, accounts, db_session):
    group = held_group(make)
    both_days = registered_before(make, group)
    first_day_only = registered_before(make, group)
    account = accounts(group.event)
    day_one, day_two = group.dates

    def mark(registration, day, present):
        url = f"/api/v1/events/{group.event.slug}/registrations/{registration.id}/attendance"
        return client.put(url, json={"date": day.id, "present": present}, headers=account.bearer)

    assert mark(both_days, day_one, True).status_code == 200
    mark(both_days, day_two, True)
    mark(first_day_only, day_one, True)
    mark(first_day_only, day_two, False)
    roster = client.get(roster_url(group), headers=account.bearer).json

    lines = {line["participant"]["id"]: line for line in roster["confirmed"]}
    assert lines[both_days.id]["completed"] is True
    assert lines[first_day_only.id]["completed"] is False
    assert lines[first_day_only.id]["presence"] == [
        {"date": day_one.id, "present": True},
        {"date": day_two.id, "present": False},
    ]
    marks = db_session.scalars(select(Attendance).where(Attendance.registration_id == both_days.id))
    assert {a.marked_by_id for a in marks} == {account.organiser.id}
    assert audit_actions(db_session)[-1] == (
        "attendance.marked",
        account.organiser.id,
        first_day_only.id,
    )


def test_presence_is_refused_for_the_waiting_list_and_other_groups_dates(client, make, accounts):
    group = held_group(make, capacity=1)
    confirmed, waiting = registered_before(make, group), registered_before(make, group)
    other = held_group(make, group.event)
    account = accounts(group.event)
    url = f"/api/v1/events/{group.event.slug}/registrations/{waiting.id}/attendance"

    on_waiting = client.put(
        url, json={"date": group.dates[0].id, "present": True}, headers=account.bearer
    )
    other_date = client.put(
        f"/api/v1/events/{group.event.slug}/registrations/{confirmed.id}/attendance",
        json={"date": other.dates[0].id, "present": True},
        headers={**account.bearer, "Accept-Language": "en"},
    )

    assert on_waiting.status_code == 422
    assert on_waiting.json["message"] == "Seule une personne confirmée peut être marquée présente."
    assert other_date.status_code == 422
    assert other_date.json["errors"] == {"date": ["This date is not one of their group's."]}


def registration_with_a_date_called_off(client, make, accounts, day):
    """A confirmed participant, their organiser, and the ``day``-th date of their group (held
    already, so that only its calling off stands in the way of presence), called off through
    the API."""
    group = held_group(make)
    person = registered_before(make, group)
    account = accounts(group.event)
    called_off = group.dates[day]
    cancelled = client.post(
        f"/api/v1/events/{group.event.slug}/dates/{called_off.id}/cancel", headers=account.bearer
    )
    assert cancelled.status_code == 200
    return person, account, called_off


def test_presence_on_a_called_off_date_is_refused_in_the_organisers_language(
    client, make, accounts, db_session
):
    person, account, called_off = registration_with_a_date_called_off(client, make, accounts, 1)
    group = person.group
    audit_before = audit_actions(db_session)
    url = f"/api/v1/events/{group.event.slug}/registrations/{person.id}/attendance"

    refusals = {
        language: client.put(
            url,
            json={"date": called_off.id, "present": True},
            headers={**account.bearer, "Accept-Language": language},
        )
        for language in ("en", "fr", "uk")
    }

    assert {r.status_code for r in refusals.values()} == {409}
    assert refusals["en"].json["code"] == "date_called_off"
    assert refusals["en"].json["message"] == (
        "This date was called off: no presence can be recorded on it."
    )
    assert refusals["fr"].json["message"].startswith("Cette date a été annulée")
    assert refusals["uk"].json["message"] != refusals["fr"].json["message"]
    stored = db_session.scalars(select(Attendance).where(Attendance.registration_id == person.id))
    assert list(stored) == []
    assert audit_actions(db_session) == audit_before


def test_a_tap_on_a_called_off_date_is_refused_on_the_presence_page(
    client, make, accounts, db_session
):
    person, account, called_off = registration_with_a_date_called_off(client, make, accounts, 0)
    log_in(client, account)
    page_url = f"/organiser/events/{person.event.slug}/dates/{called_off.id}/presence"

    response = post_form(client, page_url, registration=person.id, present="1")

    assert response.status_code == 409
    assert "Cette date a été annulée" in response.get_data(as_text=True)
    assert (
        db_session.scalar(select(Attendance).where(Attendance.registration_id == person.id)) is None
    )


def test_one_tap_on_the_presence_page_marks_a_person_present(client, make, accounts, db_session):
    group = held_group(make)
    person = registered_before(make, group, first_name="Olena", last_name="Kovalenko")
    account = accounts(group.event)
    log_in(client, account)
    day = group.dates[0]
    page_url = f"/organiser/events/{group.event.slug}/dates/{day.id}/presence"
    assert "Kovalenko" in client.get(page_url).get_data(as_text=True)

    response = post_form(client, page_url, registration=person.id, present="1")

    assert response.status_code == 303
    assert response.headers["Location"] == f"{page_url}#p{person.id}"
    attendance = db_session.scalar(
        select(Attendance).where(Attendance.registration_id == person.id)
    )
    assert attendance.present is True
    page = client.get(page_url).get_data(as_text=True)
    assert 'class="is-present"' in page


def test_cancelling_a_confirmed_participant_promotes_the_first_waiting(
    client, make, accounts, db_session
):
    group, [leaving, _], [first, second] = full_group_with_waiting_list(make)
    account = accounts(group.event)
    before = len(outbox_kinds(db_session))

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{leaving.id}/cancel",
        headers=account.bearer,
    )

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    for registration in (leaving, first, second):
        db_session.refresh(registration)
    assert first.status is RegistrationStatus.CONFIRMED
    assert (second.status, second.waitlist_position) == (RegistrationStatus.WAITLISTED, 1)
    assert outbox_kinds(db_session)[before:] == [
        (EmailKind.CANCELLED, leaving.id),
        (EmailKind.PROMOTED, first.id),
    ]
    assert audit_actions(db_session)[-1] == (
        "registration.cancelled",
        account.organiser.id,
        leaving.id,
    )


def test_promoting_by_hand_from_a_full_group_adds_a_place(client, make, accounts, db_session):
    group, _confirmed, [first, second] = full_group_with_waiting_list(make)
    account = accounts(group.event)
    before = len(outbox_kinds(db_session))

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{second.id}/promote",
        headers=account.bearer,
    )

    assert response.status_code == 200
    db_session.refresh(group)
    db_session.refresh(first)
    assert response.json["status"] == "confirmed"
    assert group.capacity == 3
    assert (first.status, first.waitlist_position) == (RegistrationStatus.WAITLISTED, 1)
    assert outbox_kinds(db_session)[before:] == [(EmailKind.PROMOTED, second.id)]
    assert audit_actions(db_session)[-1] == (
        "registration.promoted",
        account.organiser.id,
        second.id,
    )


def test_only_the_waiting_list_can_be_promoted(client, make, accounts, db_session):
    group = make.group()
    confirmed = make.registration(group)
    account = accounts(group.event)

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{confirmed.id}/promote",
        headers=account.bearer,
    )

    assert response.status_code == 422
    assert audit_actions(db_session) == []


def test_moving_a_participant_frees_their_place_for_the_waiting_list(
    client, make, accounts, db_session
):
    group, [mover, _], [first, _second] = full_group_with_waiting_list(make)
    target = make.group(group.event, capacity=5, town="Liège", town_slug="liege")
    account = accounts(group.event)
    before = len(outbox_kinds(db_session))

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{mover.id}/move",
        json={"group": target.slug},
        headers=account.bearer,
    )

    assert response.status_code == 200
    assert (response.json["group"], response.json["status"]) == (target.slug, "confirmed")
    db_session.refresh(first)
    assert first.status is RegistrationStatus.CONFIRMED
    assert outbox_kinds(db_session)[before:] == [
        (EmailKind.MOVED, mover.id),
        (EmailKind.PROMOTED, first.id),
    ]
    entry = audit_actions(db_session)[-1]
    assert entry == ("registration.moved", account.organiser.id, mover.id)


def test_moving_into_a_full_or_started_group_is_refused_and_changes_nothing(
    client, make, accounts, db_session
):
    group = make.group()
    mover = make.registration(group)
    full, _confirmed, _waiting = full_group_with_waiting_list(make, event=group.event)
    started = make.group(
        group.event,
        dates=[
            (group.dates[0].starts_at.replace(year=2020), group.dates[0].ends_at.replace(year=2020))
        ],
    )
    account = accounts(group.event)
    url = f"/api/v1/events/{group.event.slug}/registrations/{mover.id}/move"
    before = len(outbox_kinds(db_session))

    into_full = client.post(
        url, json={"group": full.slug}, headers={**account.bearer, "Accept-Language": "en"}
    )
    into_started = client.post(url, json={"group": started.slug}, headers=account.bearer)

    assert into_full.status_code == 409
    assert into_full.json["message"] == "No places are left in this group."
    assert into_started.status_code == 422
    db_session.refresh(mover)
    assert mover.group_id == group.id
    assert len(outbox_kinds(db_session)) == before


def test_raising_capacity_promotes_from_the_waiting_list(client, make, accounts, db_session):
    group, _confirmed, waiting = full_group_with_waiting_list(make, waiting=3)
    account = accounts(group.event)
    before = len(outbox_kinds(db_session))

    response = client.put(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/capacity",
        json={"capacity": 4},
        headers=account.bearer,
    )

    assert response.status_code == 200
    assert response.json["capacity"] == 4
    assert outbox_kinds(db_session)[before:] == [
        (EmailKind.PROMOTED, waiting[0].id),
        (EmailKind.PROMOTED, waiting[1].id),
    ]
    db_session.refresh(waiting[2])
    assert waiting[2].waitlist_position == 1
    assert audit_actions(db_session)[-1][0] == "group.capacity_changed"


def test_lowering_capacity_below_the_confirmed_is_refused_with_a_message(
    client, make, accounts, db_session
):
    group = make.group(capacity=5)
    for _ in range(3):
        make.registration(group)
    account = accounts(group.event)

    response = client.put(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/capacity",
        json={"capacity": 2},
        headers={**account.bearer, "Accept-Language": "en"},
    )

    assert response.status_code == 409
    assert response.json["message"] == (
        "Cannot go down to 2 places: 3 people are already confirmed. "
        "Cancel or move registrations first."
    )
    assert response.json["errors"] == {"capacity": ["At least 3 places."]}
    db_session.refresh(group)
    assert group.capacity == 5


def test_roster_page_shows_a_refused_capacity_change_in_french(client, make, accounts, db_session):
    group = make.group(capacity=5)
    make.registration(group, last_name="Lambert")
    make.registration(group)
    account = accounts(group.event)
    log_in(client, account)

    response = post_form(
        client, f"/organiser/events/{group.event.slug}/groups/{group.slug}/capacity", capacity="1"
    )

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Impossible de descendre à 1 places : 2 personnes sont déjà confirmées." in page
    assert "Lambert" in page


def test_roster_page_actions_cancel_and_move(client, make, accounts, db_session):
    group = make.group(capacity=2)
    leaving = make.registration(group)
    mover = make.registration(group)
    target = make.group(group.event)
    account = accounts(group.event)
    log_in(client, account)
    event_slug = group.event.slug
    assert "Annuler l'inscription" in client.get(
        f"/organiser/events/{event_slug}/groups/{group.slug}/"
    ).get_data(as_text=True)

    cancelled = post_form(
        client, f"/organiser/events/{event_slug}/registrations/{leaving.id}/cancel"
    )
    moved = post_form(
        client, f"/organiser/events/{event_slug}/registrations/{mover.id}/move", group=target.slug
    )

    assert cancelled.status_code == moved.status_code == 303
    db_session.refresh(leaving)
    db_session.refresh(mover)
    assert leaving.status is RegistrationStatus.CANCELLED
    assert mover.group_id == target.id
    assert "Participant déplacé." in client.get(moved.headers["Location"]).get_data(as_text=True)


def test_a_page_action_whose_commit_fails_is_not_announced_as_done(
    client, make, accounts, db_session
):
    group = make.group(capacity=2)
    mover = make.registration(group)
    target = make.group(group.event)
    log_in(client, accounts(group.event))
    url = f"/organiser/events/{group.event.slug}/registrations/{mover.id}/move"

    def database_gone(_session):
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("server closed"))

    with listening(Session, "before_commit", database_gone):
        moved = post_form(client, url, group=target.slug)
    roster = client.get(f"/organiser/events/{group.event.slug}/groups/{group.slug}/")

    assert moved.status_code == 503
    assert "Participant déplacé." not in roster.get_data(as_text=True)
    db_session.refresh(mover)
    assert mover.group_id == group.id


def test_a_registration_of_another_event_is_not_found_through_this_one(client, make, accounts):
    mine = make.group()
    elsewhere = make.registration(make.group())
    account = accounts(mine.event)

    response = client.post(
        f"/api/v1/events/{mine.event.slug}/registrations/{elsewhere.id}/cancel",
        headers=account.bearer,
    )

    assert response.status_code == 404
