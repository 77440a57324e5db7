"""A date is refused (409 schedule_conflict, every clash listed in the organiser's language)
when it meets another held date of its room, its trainers or its group, a trainer's
unavailability, or a trainer's date in another town too close to travel; ``force`` books
anyway and the journal keeps the override. Called-off dates never clash."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import (
    AuditEntry,
    OutboxMessage,
    SessionDate,
    Trainer,
    TrainerUnavailability,
)
from tests.support.factories import local

ENGLISH = {"Accept-Language": "en"}


def placed(make, db_session, *, town="Charleroi", room=None, trainers=(), dates=()):
    """A group of its own event meeting in ``room`` (made in ``town`` if not given), run by
    ``trainers``, with ``dates`` (Brussels wall-clock pairs)."""
    if room is None:
        room = make.room(town)
    group = make.group(
        make.event(),
        town=town,
        town_slug=town.lower(),
        dates=[(local(start), local(end)) for start, end in dates],
    )
    group.venue, group.room, group.trainers = room.venue, room, list(trainers)
    db_session.commit()
    return group


def add_date(client, account, group, start, end, **extra):
    return client.post(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/dates",
        json={"start": start, "end": end, **extra},
        headers={**account.bearer, **ENGLISH},
    )


def trainer(db_session, name="Nadia Haddad"):
    person = Trainer(name=name, email="nadia@example.org", languages=["fr"])
    db_session.add(person)
    db_session.commit()
    return person


def test_a_date_in_a_room_taken_at_that_time_is_refused_with_the_clash(
    client, accounts, make, db_session
):
    first = placed(make, db_session, dates=[("2030-03-05T09:30", "2030-03-05T16:00")])
    second = placed(make, db_session, room=first.room)
    account = accounts(second.event)
    emails_before = db_session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))

    refused = add_date(client, account, second, "2030-03-05T13:00", "2030-03-05T17:00")

    assert refused.status_code == 409
    assert refused.json["code"] == "schedule_conflict"
    assert refused.json["message"] == "This slot clashes with other dates."
    assert refused.json["errors"]["clashes"] == [
        f"Room AVIQ · Salle 2 is taken by group {first.name} from 3/5/30, 9:30\u202fAM to "
        "3/5/30, 4:00\u202fPM."
    ]
    db_session.expire_all()
    assert [d.id for d in second.dates] == []
    assert (
        db_session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
        == emails_before
    )


def test_a_trainer_is_not_booked_twice_nor_while_unavailable_nor_without_time_to_travel(
    client, accounts, make, db_session
):
    nadia = trainer(db_session)
    placed(
        make,
        db_session,
        town="Charleroi",
        trainers=[nadia],
        dates=[("2030-03-05T09:30", "2030-03-05T12:00")],
    )
    liege = placed(make, db_session, town="Liège", trainers=[nadia])
    db_session.add(
        TrainerUnavailability(
            trainer=nadia, starts_at=local("2030-03-06T00:00"), ends_at=local("2030-03-07T00:00")
        )
    )
    db_session.commit()
    account = accounts(liege.event)

    same_time = add_date(client, account, liege, "2030-03-05T11:00", "2030-03-05T13:00")
    no_travel = add_date(client, account, liege, "2030-03-05T12:30", "2030-03-05T15:00")
    unavailable = add_date(client, account, liege, "2030-03-06T09:30", "2030-03-06T12:00")
    with_travel = add_date(client, account, liege, "2030-03-05T13:00", "2030-03-05T15:00")

    [clash_in_time] = same_time.json["errors"]["clashes"]
    [clash_in_travel] = no_travel.json["errors"]["clashes"]
    [clash_in_absence] = unavailable.json["errors"]["clashes"]
    assert clash_in_time.startswith("Nadia Haddad runs group ")
    assert clash_in_travel.endswith(": too little time to travel.")
    assert " in Charleroi " in clash_in_travel
    assert clash_in_absence == (
        "Nadia Haddad is unavailable from 3/6/30, 12:00\u202fAM to 3/7/30, 12:00\u202fAM."
    )
    assert with_travel.status_code == 201


def test_called_off_dates_never_clash(client, accounts, make, db_session):
    first = placed(make, db_session, dates=[("2030-03-05T09:30", "2030-03-05T16:00")])
    second = placed(make, db_session, room=first.room)
    organiser_of_first = accounts(first.event)
    client.post(
        f"/api/v1/events/{first.event.slug}/dates/{first.dates[0].id}/cancel",
        headers=organiser_of_first.bearer,
    )

    added = add_date(client, accounts(second.event), second, "2030-03-05T09:30", "2030-03-05T16:00")

    assert added.status_code == 201


def test_force_books_over_a_clash_and_the_journal_keeps_the_override(
    client, accounts, make, db_session
):
    first = placed(make, db_session, dates=[("2030-03-05T09:30", "2030-03-05T16:00")])
    second = placed(make, db_session, room=first.room)

    forced = add_date(
        client,
        accounts(second.event),
        second,
        "2030-03-05T09:30",
        "2030-03-05T16:00",
        force=True,
    )

    assert forced.status_code == 201
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "date.added"))
    assert entry.details["forced"] == [f"room {first.dates[0].id}"]


def test_moving_a_date_onto_another_of_its_group_is_refused(client, accounts, make, db_session):
    group = placed(
        make,
        db_session,
        dates=[("2030-03-05T09:30", "2030-03-05T16:00"), ("2030-03-12T09:30", "2030-03-12T16:00")],
    )
    account = accounts(group.event)

    moved = client.patch(
        f"/api/v1/events/{group.event.slug}/dates/{group.dates[1].id}",
        json={"start": "2030-03-05T15:00", "end": "2030-03-05T18:00"},
        headers={**account.bearer, **ENGLISH},
    )

    assert moved.status_code == 409
    assert moved.json["errors"]["clashes"][0].startswith(f"Group {group.name} already has")
    db_session.expire_all()
    assert db_session.get(SessionDate, group.dates[1].id).starts_at == local("2030-03-12T09:30")


def test_more_places_than_the_room_seats_are_refused(client, accounts, make, db_session):
    group = placed(make, db_session)
    account = accounts(group.event)

    refused = client.post(
        f"/api/v1/events/{group.event.slug}/groups",
        json={"name": "Grand", "venue": group.venue_id, "room": group.room_id, "capacity": 30},
        headers={**account.bearer, **ENGLISH},
    )

    assert refused.status_code == 422
    assert refused.json["errors"] == {"capacity": ["More places than the room seats (24)."]}


def test_the_conflicts_standing_in_a_range_are_listed_after_a_forced_booking(
    client, accounts, make, db_session
):
    first = placed(make, db_session, dates=[("2030-03-05T09:30", "2030-03-05T16:00")])
    second = placed(make, db_session, room=first.room)
    account = accounts(second.event)
    forced = add_date(client, account, second, "2030-03-05T10:00", "2030-03-05T12:00", force=True)

    listed = client.get(
        "/api/v1/conflicts?from=2030-03-05&to=2030-03-05", headers={**account.bearer, **ENGLISH}
    )
    later = client.get("/api/v1/conflicts?from=2030-03-06&to=2030-03-31", headers=account.bearer)

    assert listed.status_code == 200
    assert [(c["date_id"], c["kind"], c["other_date_id"]) for c in listed.json] == [
        (first.dates[0].id, "room", forced.json["id"])
    ]
    assert listed.json[0]["message"].startswith("Room AVIQ · Salle 2 is taken by group")
    assert later.json == []


def test_a_date_booked_before_its_trainer_became_unavailable_is_listed_as_a_clash(
    client, accounts, make, db_session
):
    nadia, ali = trainer(db_session), trainer(db_session, "Ali Benali")
    group = placed(
        make, db_session, trainers=[nadia], dates=[("2030-03-05T09:30", "2030-03-05T16:00")]
    )
    for person in (nadia, ali):  # Ali's absence keeps no one of this group away
        db_session.add(
            TrainerUnavailability(
                trainer=person,
                starts_at=local("2030-03-05T00:00"),
                ends_at=local("2030-03-06T00:00"),
            )
        )
    db_session.commit()
    account = accounts(group.event)

    listed = client.get(
        "/api/v1/conflicts?from=2030-03-01&to=2030-03-31", headers={**account.bearer, **ENGLISH}
    )

    assert [(c["date_id"], c["kind"]) for c in listed.json] == [(group.dates[0].id, "unavailable")]
    assert listed.json[0]["message"].startswith("Nadia Haddad is unavailable from")


def test_a_conflicts_range_ending_before_it_starts_is_refused(client, accounts):
    account = accounts()

    refused = client.get(
        "/api/v1/conflicts?from=2030-03-05&to=2030-03-01", headers={**account.bearer, **ENGLISH}
    )
    unbounded = client.get(
        "/api/v1/conflicts?from=2030-01-01&to=2032-01-01", headers={**account.bearer, **ENGLISH}
    )

    assert (refused.status_code, refused.json["errors"]) == (
        422,
        {"to": ["The end must come after the start."]},
    )
    assert (unbounded.status_code, unbounded.json["errors"]) == (422, {"to": ["At most 400 days."]})


def test_giving_a_group_a_trainer_already_booked_then_is_refused(
    client, accounts, make, db_session
):
    nadia = trainer(db_session)
    placed(make, db_session, trainers=[nadia], dates=[("2030-03-05T09:30", "2030-03-05T16:00")])
    other = placed(make, db_session, dates=[("2030-03-05T10:00", "2030-03-05T12:00")])
    account = accounts(other.event)

    refused = client.patch(
        f"/api/v1/events/{other.event.slug}/groups/{other.slug}",
        json={"trainers": [nadia.id]},
        headers={**account.bearer, **ENGLISH},
    )

    assert refused.status_code == 409
    assert refused.json["errors"]["clashes"][0].startswith("Nadia Haddad runs group")
    db_session.expire_all()
    assert other.trainers == []


def test_a_date_longer_than_a_day_is_refused_on_its_end(client, accounts, make, db_session):
    group = placed(make, db_session)
    account = accounts(group.event)

    refused = add_date(client, account, group, "2030-03-05T09:30", "2030-03-06T10:00")

    assert (refused.status_code, refused.json["errors"]) == (
        422,
        {"end": ["A date lasts at most 24 hours."]},
    )
    db_session.expire_all()
    assert group.dates == []


def test_weekly_office_hours_hold_their_room_every_week_but_on_their_closures(
    client, accounts, make, db_session
):
    office_hours = placed(make, db_session, dates=[("2030-01-02T09:30", "2030-01-02T12:00")])
    office_hours.dates[0].recurrence_rule = "FREQ=WEEKLY;BYDAY=WE"
    office_hours.dates[0].excluded_dates = ["2030-03-13"]
    workshop = placed(make, db_session, room=office_hours.room)
    account = accounts(workshop.event)

    in_the_hours = add_date(client, account, workshop, "2030-03-06T10:00", "2030-03-06T11:00")
    on_a_closure = add_date(client, account, workshop, "2030-03-13T10:00", "2030-03-13T11:00")

    assert in_the_hours.status_code == 409
    assert (
        "from 3/6/30, 9:30\u202fAM to 3/6/30, 12:00\u202fPM"
        in (in_the_hours.json["errors"]["clashes"][0])
    )
    assert on_a_closure.status_code == 201
