"""Input the organiser API refuses before it reaches the database: dates outside this
century (Brussels time then had offsets no ISO 8601 reader takes), ids no row can have and
text no database can store."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared.models import Event, Group, SessionDate

BEYOND_ANY_ROW = 2**63


def test_a_date_outside_this_century_is_refused_and_nothing_is_stored(
    client, accounts, make, db_session
):
    group = make.group()
    account = accounts(group.event)
    dates_before = db_session.scalar(select(func.count(SessionDate.id)))

    response = client.post(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/dates",
        json={"start": "0510-10-29T01:19:25Z", "end": "5821-07-08T17:40:16-05:14"},
        headers={**account.bearer, "Accept-Language": "en"},
    )

    assert response.status_code == 422
    assert response.json["errors"] == {
        "start": ["Choose a date between 2000 and 2099."],
        "end": ["Choose a date between 2000 and 2099."],
    }
    assert db_session.scalar(select(func.count(SessionDate.id))) == dates_before


def test_registration_id_beyond_any_row_is_not_found(client, accounts, make):
    group = make.group()
    account = accounts(group.event)

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{BEYOND_ANY_ROW}/cancel",
        headers=account.bearer,
    )

    assert response.status_code == 404
    assert response.json["code"] == "not_found"


@pytest.mark.parametrize("date_id", [BEYOND_ANY_ROW, -BEYOND_ANY_ROW, -1, 0])
def test_date_id_no_row_can_have_is_a_422_on_its_field(client, accounts, make, date_id):
    registration = make.registration()
    event = registration.event
    account = accounts(event)
    base = f"/api/v1/events/{event.slug}/registrations/{registration.id}"

    attendance = client.put(
        f"{base}/attendance",
        json={"date": date_id, "present": True},
        headers=account.bearer,
    )
    move = client.post(
        f"{base}/move",
        json={"group": registration.group.slug, "date": date_id},
        headers=account.bearer,
    )
    journal = client.get(
        f"/api/v1/events/{event.slug}/log?before={date_id}", headers=account.bearer
    )

    assert (attendance.status_code, set(attendance.json["errors"])) == (422, {"date"})
    assert (move.status_code, set(move.json["errors"])) == (422, {"date"})
    assert (journal.status_code, set(journal.json["errors"])) == (422, {"before"})


def test_the_openapi_document_describes_the_error_shape_and_prices_as_decimal_strings(client):
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]

    assert schemas["Error"]["properties"]["code"]["type"] == "string"
    assert schemas["Error"]["properties"]["status"]["type"] == "integer"
    assert schemas["Event"]["properties"]["price"] == {
        "type": "string",
        "format": "decimal",
        "readOnly": True,
    }


def test_text_no_database_can_store_is_refused_on_its_field_and_nothing_changes(
    client, accounts, make, db_session
):
    group = make.group(venue_name="HELMo ESAS")
    event = group.event
    account = accounts(event)
    title_before = dict(event.title)

    renamed = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"title": {"fr": "Atelier\x00"}},
        headers={**account.bearer, "Accept-Language": "uk"},
    )
    moved = client.patch(
        f"/api/v1/events/{event.slug}/groups/{group.slug}",
        data='{"venue_name": "\\ud800"}',  # a lone surrogate, as JSON may escape one
        headers={**account.bearer, "Content-Type": "application/json"},
    )

    assert (renamed.status_code, moved.status_code) == (422, 422)
    assert renamed.json["errors"] == {"title": ["Керівні символи не приймаються."]}
    assert moved.json["errors"] == {
        "venue_name": ["Les caractères de contrôle ne sont pas acceptés."]
    }
    db_session.expire_all()
    assert db_session.get(Event, event.id).title == title_before
    assert db_session.get(Group, group.id).venue_name == "HELMo ESAS"


def test_an_empty_path_segment_names_nothing_rather_than_another_route(client, accounts, make):
    group = make.group()
    account = accounts(group.event)

    # Merged into /groups/roster, this would reach the group route's PATCH and answer 405.
    response = client.get(
        f"/api/v1/events/{group.event.slug}/groups//roster", headers=account.bearer
    )

    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_control_characters_in_names_addresses_and_titles_are_refused(
    client, accounts, make, db_session
):
    group = make.group(name="Liège", venue_name="HELMo ESAS")
    event = group.event
    account = accounts(event)
    headers = {**account.bearer, "Accept-Language": "en"}
    title_before, issuer_before = dict(event.title), event.issuer

    # U+0094 is the closing quote of text pasted from Windows-1252 and read as Latin-1.
    retitled = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"title": {"fr": "Atelier \x94citoyen\x94"}, "issuer": "CRIC\x1b"},
        headers=headers,
    )
    moved = client.patch(
        f"/api/v1/events/{event.slug}/groups/{group.slug}",
        json={"name": "Salle \x93Europe\x94", "town": "Li\x08ège"},
        headers=headers,
    )

    refusal = ["Control characters are not accepted."]
    assert (retitled.status_code, moved.status_code) == (422, 422)
    assert retitled.json["errors"] == {
        "title": [{"fr": [{"value": refusal}]}],
        "issuer": refusal,
    }
    assert moved.json["errors"] == {"name": refusal, "town": refusal}
    db_session.expire_all()
    stored_event, stored_group = db_session.get(Event, event.id), db_session.get(Group, group.id)
    assert (stored_event.title, stored_event.issuer) == (title_before, issuer_before)
    assert (stored_group.name, stored_group.town) == ("Liège", group.town)


def test_a_description_keeps_its_line_breaks_and_tabs(client, accounts, make, db_session):
    event = make.event()
    account = accounts(event)
    description = "Deux journées :\n\t- le matin, théorie ;\r\n\t- l'après-midi, pratique."

    response = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"description": {"fr": description}},
        headers=account.bearer,
    )

    assert response.status_code == 200
    db_session.expire_all()
    assert db_session.get(Event, event.id).description["fr"] == description


def test_a_number_out_of_range_is_refused_in_the_readers_language(
    client, accounts, make, db_session
):
    group = make.group(capacity=20)
    account = accounts(group.event)
    url = f"/api/v1/events/{group.event.slug}/groups/{group.slug}"

    capacity = client.put(
        f"{url}/capacity",
        json={"capacity": 10_001},
        headers={**account.bearer, "Accept-Language": "uk"},
    )
    venue = client.patch(url, json={"latitude": 91, "longitude": -181}, headers=account.bearer)

    assert capacity.status_code == 422
    assert capacity.json["errors"] == {"capacity": ["Від 0 до 10000."]}
    assert venue.status_code == 422
    assert venue.json["errors"] == {"latitude": ["De -90 à 90."], "longitude": ["De -180 à 180."]}
    db_session.refresh(group)
    assert (group.capacity, group.latitude, group.longitude) == (20, None, None)


def test_a_name_of_the_wrong_length_is_refused_in_the_readers_language(
    client, accounts, make, db_session
):
    group = make.group(name="Jambes")
    account = accounts(group.event)

    answer = client.patch(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}",
        json={"name": "x" * 201},
        headers={**account.bearer, "Accept-Language": "en"},
    )

    assert answer.status_code == 422
    assert answer.json["errors"] == {"name": ["From 1 to 200 characters."]}
    db_session.refresh(group)
    assert group.name == "Jambes"
