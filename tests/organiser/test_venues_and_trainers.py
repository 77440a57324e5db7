"""Venues with their rooms and trainers with their unavailabilities are records organisers
manage through the API; a group meets at a venue record, and what a group still uses cannot
be deleted."""

from __future__ import annotations

import os

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shared.database import create_db_engine
from shared.migrate import alembic_config
from shared.models import EmailKind, Group, OutboxMessage, Trainer, Venue
from tests.organiser.conftest import changes_recorded, log_in, post_form
from tests.support.databases import throwaway_database

VENUE = {
    "name": "AVIQ",
    "street_address": "boulevard Mayence 14",
    "postcode": "6000",
    "town": "Charleroi",
    "access_notes": {"fr": "Entrée par la cour", "en": "Enter through the courtyard"},
}
TRAINER = {"name": "Nadia Haddad", "email": "nadia@example.org", "languages": ["fr", "ar"]}


def test_an_organiser_records_a_venue_with_rooms_and_a_group_meets_there(
    client, accounts, make, db_session
):
    event = make.event()
    account = accounts(event)

    venue = client.post("/api/v1/venues", json=VENUE, headers=account.bearer)
    room = client.post(
        f"/api/v1/venues/{venue.json['id']}/rooms",
        json={"name": "Salle 2", "capacity": 24},
        headers=account.bearer,
    )
    trainer = client.post("/api/v1/trainers", json=TRAINER, headers=account.bearer)
    group = client.post(
        f"/api/v1/events/{event.slug}/groups",
        json={
            "name": "Hainaut",
            "venue": venue.json["id"],
            "room": room.json["id"],
            "trainers": [trainer.json["id"]],
            "capacity": 20,
        },
        headers=account.bearer,
    )

    assert venue.status_code == 201 and venue.json["town_slug"] == "charleroi"
    assert room.status_code == 201
    assert group.status_code == 201
    assert (group.json["venue_name"], group.json["street_address"], group.json["town"]) == (
        "AVIQ",
        "boulevard Mayence 14",
        "Charleroi",
    )
    assert (group.json["venue"], group.json["room"], group.json["trainers"]) == (
        venue.json["id"],
        room.json["id"],
        [trainer.json["id"]],
    )
    listed = client.get("/api/v1/venues", headers=account.bearer).json
    assert [(v["name"], [r["name"] for r in v["rooms"]]) for v in listed] == [("AVIQ", ["Salle 2"])]
    assert changes_recorded(db_session)[-4:] == [
        "venue.created",
        "room.created",
        "trainer.created",
        "group.created",
    ]


def test_a_group_given_an_address_as_text_meets_at_that_address_venue_record(
    client, accounts, make, db_session
):
    event = make.event()
    account = accounts(event)
    address = {
        "venue_name": "DICS",
        "street_address": "avenue Gouverneur Bovesse 100",
        "postcode": "5100",
        "town": "Jambes",
    }

    first = client.post(
        f"/api/v1/events/{event.slug}/groups",
        json={"name": "Un", **address},
        headers=account.bearer,
    )
    second = client.post(
        f"/api/v1/events/{event.slug}/groups",
        json={"name": "Deux", **address},
        headers=account.bearer,
    )

    assert first.status_code == second.status_code == 201
    assert first.json["venue"] is not None and first.json["venue"] == second.json["venue"]
    assert db_session.scalars(select(Venue.name)).all() == ["DICS"]


def test_a_venue_edited_moves_its_open_groups_and_tells_their_participants(
    client, accounts, make, db_session
):
    event = make.event()
    account = accounts(event)
    venue_id = client.post("/api/v1/venues", json=VENUE, headers=account.bearer).json["id"]
    slug = client.post(
        f"/api/v1/events/{event.slug}/groups",
        json={"name": "Hainaut", "venue": venue_id},
        headers=account.bearer,
    ).json["slug"]
    group = db_session.scalar(select(Group).where(Group.slug == slug))
    person = make.registration(group)
    db_session.commit()

    edited = client.patch(
        f"/api/v1/venues/{venue_id}",
        json={"street_address": "boulevard Mayence 16"},
        headers=account.bearer,
    )

    db_session.expire_all()
    assert edited.status_code == 200
    assert group.street_address == "boulevard Mayence 16"
    told = db_session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.registration_id == person.id)
    ).all()
    assert EmailKind.DATE_CHANGED in told


def test_a_room_renamed_marks_the_groups_meeting_in_it_changed(client, accounts, make, db_session):
    room = make.room()
    meets, elsewhere = make.group(room=room), make.group()
    account = accounts(admin=True)
    before = {g.id: (g.revision, g.updated_at) for g in (meets, elsewhere)}

    renamed = client.patch(
        f"/api/v1/venues/{room.venue_id}/rooms/{room.id}",
        json={"name": "Salle Ubuntu"},
        headers=account.bearer,
    )

    db_session.expire_all()
    assert renamed.status_code == 200
    # Feeds that name the room are versioned by their groups: they must not answer 304.
    assert meets.revision == before[meets.id][0] + 1
    assert meets.updated_at > before[meets.id][1]
    assert (elsewhere.revision, elsewhere.updated_at) == before[elsewhere.id]


def test_deleting_a_venue_room_or_trainer_in_use_is_refused_with_what_uses_it(
    client, accounts, make, db_session
):
    event = make.event(slug="atelier-hainaut")
    account = accounts(event)
    venue_id = client.post("/api/v1/venues", json=VENUE, headers=account.bearer).json["id"]
    room_id = client.post(
        f"/api/v1/venues/{venue_id}/rooms", json={"name": "Salle 2"}, headers=account.bearer
    ).json["id"]
    trainer_id = client.post("/api/v1/trainers", json=TRAINER, headers=account.bearer).json["id"]
    client.post(
        "/api/v1/events/atelier-hainaut/groups",
        json={"name": "Hainaut", "venue": venue_id, "room": room_id, "trainers": [trainer_id]},
        headers=account.bearer,
    )
    english = {**account.bearer, "Accept-Language": "en"}

    refusals = [
        client.delete(f"/api/v1/venues/{venue_id}", headers=english),
        client.delete(f"/api/v1/venues/{venue_id}/rooms/{room_id}", headers=english),
        client.delete(f"/api/v1/trainers/{trainer_id}", headers=english),
    ]

    for refusal in refusals:
        assert refusal.status_code == 409
        assert refusal.json["code"] == "in_use"
        assert refusal.json["errors"]["groups"] == ["atelier-hainaut/hainaut"]
        assert refusal.json["message"].startswith("Still used by groups")
    assert db_session.scalar(select(Venue.id)) == venue_id
    assert db_session.scalar(select(Trainer.id)) == trainer_id


def test_unused_records_are_deleted(client, accounts):
    account = accounts()
    venue_id = client.post("/api/v1/venues", json=VENUE, headers=account.bearer).json["id"]
    trainer_id = client.post("/api/v1/trainers", json=TRAINER, headers=account.bearer).json["id"]

    assert client.delete(f"/api/v1/venues/{venue_id}", headers=account.bearer).status_code == 204
    assert (
        client.delete(f"/api/v1/trainers/{trainer_id}", headers=account.bearer).status_code == 204
    )
    assert client.get(f"/api/v1/venues/{venue_id}", headers=account.bearer).status_code == 404


def test_a_record_number_beyond_any_row_names_nothing_whatever_the_method(client, accounts):
    account = accounts()
    for number in (2**31, 2**63):
        for method in ("GET", "PATCH", "DELETE"):
            url = f"/api/v1/venues/{number}"
            response = client.open(url, method=method, json={}, headers=account.bearer)
            assert response.status_code == 404, (method, number)


def test_a_trainer_unavailability_is_recorded_and_removed(client, accounts):
    account = accounts()
    trainer_id = client.post("/api/v1/trainers", json=TRAINER, headers=account.bearer).json["id"]

    added = client.post(
        f"/api/v1/trainers/{trainer_id}/unavailabilities",
        json={"start": "2030-07-01T00:00", "end": "2030-07-31T23:59", "note": "Congé"},
        headers=account.bearer,
    )
    removed = client.delete(
        f"/api/v1/trainers/{trainer_id}/unavailabilities/{added.json['id']}",
        headers=account.bearer,
    )

    assert added.status_code == 201 and added.json["start"] == "2030-07-01T00:00:00+02:00"
    assert removed.status_code == 204
    assert (
        client.get(f"/api/v1/trainers/{trainer_id}", headers=account.bearer).json[
            "unavailabilities"
        ]
        == []
    )


def test_nonsense_is_refused_on_its_field_in_the_organisers_language(client, accounts, db_session):
    account = accounts()
    english = {**account.bearer, "Accept-Language": "en"}

    no_town = client.post(
        "/api/v1/venues", json={k: v for k, v in VENUE.items() if k != "town"}, headers=english
    )
    bad_email = client.post(
        "/api/v1/trainers", json={**TRAINER, "email": "pas une adresse"}, headers=english
    )
    trainer_id = client.post("/api/v1/trainers", json=TRAINER, headers=english).json["id"]
    backwards = client.post(
        f"/api/v1/trainers/{trainer_id}/unavailabilities",
        json={"start": "2030-07-31T10:00", "end": "2030-07-01T10:00"},
        headers=english,
    )

    assert (no_town.status_code, no_town.json["errors"]) == (
        422,
        {"town": ["This field is required."]},
    )
    assert bad_email.status_code == 422 and list(bad_email.json["errors"]) == ["email"]
    assert (backwards.status_code, backwards.json["errors"]) == (
        422,
        {"end": ["The end must come after the start."]},
    )
    assert db_session.scalar(select(Venue.id)) is None


def test_existing_groups_are_migrated_to_one_venue_per_distinct_address(tmp_path, make):
    with throwaway_database(tmp_path, os.environ.get("DATABASE_URL")) as url:
        engine = create_db_engine(url)
        with Session(engine) as session:
            from tests.support.factories import Factory

            build = Factory(session)
            event = build.event()
            same = {
                "venue_name": "CAI",
                "street_address": "rue Docteur Haibe 2",
                "postcode": "5002",
            }
            build.group(event, town="Namur", **same)
            build.group(event, town="Namur", **same)
            build.group(event, town="Liège", venue_name="HELMo ESAS")
            session.commit()
        command.downgrade(alembic_config(url), "0011")
        command.upgrade(alembic_config(url), "head")
        with engine.connect() as connection:
            venues = connection.execute(text("SELECT id, name, town FROM venues ORDER BY id")).all()
            groups = connection.execute(
                text("SELECT venue_id, venue_name, town FROM groups ORDER BY id")
            ).all()
        engine.dispose()

    assert [(v.name, v.town) for v in venues] == [("CAI", "Namur"), ("HELMo ESAS", "Liège")]
    assert [g.venue_id for g in groups] == [venues[0].id, venues[0].id, venues[1].id]
    assert [(g.venue_name, g.town) for g in groups] == [
        ("CAI", "Namur"),
        ("CAI", "Namur"),
        ("HELMo ESAS", "Liège"),
    ]


def test_organisers_manage_venues_rooms_and_trainers_from_their_pages(client, accounts, db_session):
    account = accounts()
    log_in(client, account)

    added = post_form(client, "/organiser/venues", **{**ADDRESS_FORM, "access_notes_en": "Ramp"})
    venue = db_session.scalar(select(Venue))
    room = post_form(client, f"/organiser/venues/{venue.id}/rooms", name="Salle 1", capacity="12")
    trainer = post_form(
        client,
        "/organiser/trainers",
        name="Nadia Haddad",
        email="nadia@example.org",
        languages="ar",
    )
    page = client.get(f"/organiser/venues/{venue.id}").get_data(as_text=True)

    assert added.status_code == room.status_code == trainer.status_code == 303
    assert venue.access_notes == {"en": "Ramp"}
    assert "Salle 1" in page and "boulevard Mayence 14" in page
    assert db_session.scalar(select(Trainer.languages)) == ["ar"]


def test_a_venue_form_without_a_town_comes_back_with_its_message(client, accounts, db_session):
    account = accounts()
    log_in(client, account)

    refused = post_form(
        client,
        "/organiser/venues",
        **{k: v for k, v in ADDRESS_FORM.items() if k != "town"},
    )

    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert db_session.scalar(select(Venue.id)) is None


ADDRESS_FORM = {
    "name": "AVIQ",
    "street_address": "boulevard Mayence 14",
    "postcode": "6000",
    "town": "Charleroi",
}
