"""Creating and editing events, groups, dates and venues. A change of time or place raises
the dates' SEQUENCE, marks the group changed and tells every active participant; cancelling a
date or a group tells everyone concerned."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import EmailKind, Event
from tests.organiser.conftest import audit_actions, log_in, outbox_kinds, post_form

NEW_EVENT = {
    "slug": "seance-info-2030",
    "title": {"fr": "Séance d'information", "en": "Information session", "uk": "Зустріч"},
    "kind": "information_session",
    "attendance_rule": "one_date",
    "language": "fr",
    "registration_opens_at": "2030-01-10T09:00:00+01:00",
}
NEW_GROUP = {
    "name": "Court-Saint-Étienne",
    "venue_name": "Centre culturel du Brabant wallon",
    "street_address": "rue Belotte 3",
    "postcode": "1490",
    "town": "Court-Saint-Étienne",
    "capacity": 20,
    "dates": [{"start": "2030-11-07T09:30", "end": "2030-11-07T16:00"}],
}


def test_an_organiser_creates_an_event_group_and_dates_through_the_api(
    client, accounts, db_session
):
    account = accounts()

    created = client.post("/api/v1/events", json=NEW_EVENT, headers=account.bearer)
    group = client.post(
        "/api/v1/events/seance-info-2030/groups", json=NEW_GROUP, headers=account.bearer
    )
    date = client.post(
        f"/api/v1/events/seance-info-2030/groups/{group.json['slug']}/dates",
        json={"start": "2030-11-14T09:30:00+01:00", "end": "2030-11-14T16:00:00+01:00"},
        headers=account.bearer,
    )

    assert created.status_code == 201
    assert created.json["title"]["uk"] == "Зустріч"
    assert group.status_code == 201
    assert (group.json["slug"], group.json["town_slug"]) == (
        "court-saint-etienne",
        "court-saint-etienne",
    )
    assert group.json["dates"][0]["start"] == "2030-11-07T09:30:00+01:00"
    assert date.status_code == 201
    event = db_session.scalar(select(Event).where(Event.slug == "seance-info-2030"))
    assert [o.id for o in event.organisers] == [account.organiser.id]
    listed = client.get("/api/v1/organiser/events", headers=account.bearer).json
    assert [e["slug"] for e in listed] == ["seance-info-2030"]
    assert [a[0] for a in audit_actions(db_session)] == [
        "event.created",
        "group.created",
        "date.added",
    ]


def test_invalid_event_is_refused_with_field_messages_and_nothing_stored(
    client, accounts, db_session
):
    account = accounts()
    bad = {**NEW_EVENT, "slug": "Pas Un Slug", "title": {"en": "No French"}}

    response = client.post(
        "/api/v1/events", json=bad, headers={**account.bearer, "Accept-Language": "en"}
    )

    assert response.status_code == 422
    assert response.json["errors"]["slug"] == ["Lowercase letters, digits and hyphens only."]
    assert response.json["errors"]["title"] == ["The French title is required."]
    assert db_session.scalar(select(Event.id)) is None


def test_rescheduling_a_date_bumps_sequence_and_tells_active_participants(
    client, make, accounts, db_session
):
    group = make.group(capacity=1)
    confirmed = make.registration(group)
    waiting = make.registration(group)
    cancelled = make.registration(make.group(group.event))
    account = accounts(group.event)
    day = group.dates[0]
    revision = group.revision
    before = len(outbox_kinds(db_session))

    response = client.patch(
        f"/api/v1/events/{group.event.slug}/dates/{day.id}",
        json={"start": "2030-10-01T13:00", "end": "2030-10-01T17:00"},
        headers=account.bearer,
    )

    assert response.status_code == 200
    assert response.json["start"] == "2030-10-01T13:00:00+02:00"
    assert response.json["sequence"] == 1
    db_session.refresh(group)
    assert group.revision == revision + 1
    assert outbox_kinds(db_session)[before:] == [
        (EmailKind.DATE_CHANGED, confirmed.id),
        (EmailKind.DATE_CHANGED, waiting.id),
    ]
    assert cancelled.group_id != group.id


def test_changing_the_venue_bumps_every_date_of_the_group(client, make, accounts, db_session):
    group = make.group()
    person = make.registration(group)
    account = accounts(group.event)
    before = len(outbox_kinds(db_session))

    response = client.patch(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}",
        json={"venue_name": "HELMo ESAS", "street_address": "rue d'Harscamp 60"},
        headers=account.bearer,
    )
    renamed_only = client.patch(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}",
        json={"name": "Liège"},
        headers=account.bearer,
    )

    assert response.status_code == 200
    assert [d["sequence"] for d in response.json["dates"]] == [1, 1]
    assert [d["sequence"] for d in renamed_only.json["dates"]] == [1, 1]
    assert outbox_kinds(db_session)[before:] == [(EmailKind.DATE_CHANGED, person.id)]


def test_cancelling_a_date_and_a_group_tells_everyone_concerned(client, make, accounts, db_session):
    group = make.group()
    people = [make.registration(group) for _ in range(2)]
    account = accounts(group.event)
    slug = group.event.slug
    before = len(outbox_kinds(db_session))

    cancelled_date = client.post(
        f"/api/v1/events/{slug}/dates/{group.dates[1].id}/cancel", headers=account.bearer
    )
    cancelled_group = client.post(
        f"/api/v1/events/{slug}/groups/{group.slug}/cancel", headers=account.bearer
    )
    again = client.post(f"/api/v1/events/{slug}/groups/{group.slug}/cancel", headers=account.bearer)

    assert cancelled_date.json["cancelled"] is True
    assert cancelled_group.json["cancelled"] is True
    assert again.status_code == 200
    assert outbox_kinds(db_session)[before:] == [
        (EmailKind.DATE_CANCELLED, people[0].id),
        (EmailKind.DATE_CANCELLED, people[1].id),
        (EmailKind.GROUP_CANCELLED, people[0].id),
        (EmailKind.GROUP_CANCELLED, people[1].id),
    ]
    assert [d["sequence"] for d in cancelled_group.json["dates"]] == [1, 2]


def test_a_date_that_ends_before_it_starts_is_refused(client, make, accounts):
    group = make.group()
    account = accounts(group.event)

    response = client.patch(
        f"/api/v1/events/{group.event.slug}/dates/{group.dates[0].id}",
        json={"start": "2030-10-01T16:00", "end": "2030-10-01T09:30"},
        headers={**account.bearer, "Accept-Language": "uk"},
    )

    assert response.status_code == 422
    assert response.json["errors"] == {"end": ["Кінець має бути після початку."]}


def test_event_and_group_forms_create_and_edit(client, accounts, db_session):
    account = accounts()
    log_in(client, account)

    created = post_form(
        client,
        "/organiser/events/new",
        slug="atelier-forme",
        title_fr="Atelier en ligne",
        title_en="",
        kind="workshop",
        attendance_rule="all_dates",
        language="fr",
        price="0",
    )
    group = post_form(
        client,
        "/organiser/events/atelier-forme/groups/new",
        name="Hainaut",
        venue_name="AVIQ",
        street_address="boulevard Mayence 14",
        postcode="6000",
        town="Charleroi",
        capacity="20",
    )
    date = post_form(
        client,
        "/organiser/events/atelier-forme/groups/hainaut/dates",
        start="2030-09-17T09:30",
        end="2030-09-17T16:00",
    )
    edited = post_form(
        client,
        "/organiser/events/atelier-forme/edit",
        title_fr="Atelier en présentiel",
        title_uk="Семінар",
        kind="workshop",
        attendance_rule="all_dates",
    )

    assert created.status_code == 303
    assert created.headers["Location"] == "/organiser/events/atelier-forme/"
    assert group.headers["Location"] == "/organiser/events/atelier-forme/groups/hainaut/edit"
    assert date.status_code == 303
    assert edited.status_code == 303
    event = db_session.scalar(select(Event).where(Event.slug == "atelier-forme"))
    db_session.refresh(event)
    assert event.title == {"fr": "Atelier en présentiel", "uk": "Семінар"}
    assert [g.town_slug for g in event.groups] == ["charleroi"]
    assert len(event.groups[0].dates) == 1
    page = client.get("/organiser/events/atelier-forme/groups/hainaut/edit").get_data(as_text=True)
    assert "AVIQ" in page


def test_a_refused_form_comes_back_filled_in_with_field_messages(client, accounts, db_session):
    account = accounts()
    log_in(client, account)

    response = post_form(
        client,
        "/organiser/events/new",
        slug="Mauvais slug",
        title_fr="Mon atelier",
        kind="workshop",
        attendance_rule="all_dates",
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Lettres minuscules, chiffres et tirets seulement." in page
    assert 'value="Mon atelier"' in page
    assert db_session.scalar(select(Event.id)) is None
