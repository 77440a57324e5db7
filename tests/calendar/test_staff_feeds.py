"""The private feeds of those who run the sessions: a trainer's dates, an organiser's
planning; tokens derived, replaced ones answering 410, forged ones 404."""

from __future__ import annotations

import pytest

from services.calendar.operations import trainer_feed
from services.registration.organiser import places
from services.registration.organiser.actions import Organising, update_event
from shared.domain.schedule import cancel_date
from shared.domain.staff_feeds import renew_planning_feed, send_trainer_feed
from shared.domain.venues import group_address
from shared.ical import date_uid
from shared.models import Organiser, Room, Trainer, Venue
from shared.tokens import registration_token
from tests.calendar.ics import events
from tests.support.links import TEST_SECRET


def trainer_path(trainer: Trainer) -> str:
    token = registration_token(TEST_SECRET, "trainer-feed", trainer.id, trainer.feed_token_version)
    return f"/feeds/trainers/{token}.ics"


def planning_path(organiser: Organiser) -> str:
    version = organiser.feed_token_version
    token = registration_token(TEST_SECRET, "planning-feed", organiser.id, version)
    return f"/feeds/planning/{token}.ics"


def a_trainer(db_session, name: str = "Nadia Haddad", languages=("fr",)) -> Trainer:
    trainer = Trainer(name=name, email="nadia@example.org", languages=list(languages))
    db_session.add(trainer)
    db_session.commit()
    return trainer


def an_organiser(db_session, *events, admin: bool = False) -> Organiser:
    organiser = Organiser(
        email=f"organiser{len(events)}{admin}@example.org",
        password_hash="-",
        is_admin=admin,
        events=list(events),
    )
    db_session.add(organiser)
    db_session.commit()
    return organiser


def test_a_trainer_sees_the_dates_of_their_groups_only_held_and_called_off(
    client, make, db_session
):
    trainer = a_trainer(db_session)
    venue = Venue(
        name="DICS", street_address="avenue Gouverneur Bovesse 100", postcode="5100", town="Jambes"
    )
    venue.town_slug = "jambes"
    room = Room(venue=venue, name="Salle 2", capacity=20)
    db_session.add_all([venue, room])
    theirs = make.group(venue=venue, room=room)
    theirs.trainers = [trainer]
    others = make.group()
    draft = make.group(make.event(published=False))
    draft.trainers = [trainer]
    db_session.commit()
    cancel_date(db_session, theirs.dates[1])
    db_session.commit()

    response = client.get(trainer_path(trainer))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.cache_control.private
    found = events(response.data)
    assert set(found) == {date_uid(d) for d in theirs.dates}
    assert not {date_uid(d) for d in others.dates + draft.dates} & set(found)
    held, called_off = (found[date_uid(d)] for d in theirs.dates)
    assert held["status"] == "CONFIRMED" and called_off["status"] == "CANCELLED"
    assert theirs.name in str(held["summary"])
    assert "Salle 2" in str(held["location"]) and "Jambes" in str(held["location"])


def test_a_trainer_without_a_group_gets_an_empty_feed_not_an_error(client, db_session):
    trainer = a_trainer(db_session)

    response = client.get(trainer_path(trainer))

    assert response.status_code == 200
    assert events(response.data) == {}


def test_a_renewed_trainer_link_answers_410_and_a_forged_one_404(client, make, db_session):
    trainer = a_trainer(db_session)
    make.group().trainers = [trainer]
    db_session.commit()
    old = trainer_path(trainer)

    send_trainer_feed(db_session, trainer, renew=True)
    db_session.commit()

    assert client.get(old).status_code == 410
    assert client.get(old).json["code"] == "gone"
    assert client.get(trainer_path(trainer)).status_code == 200
    forged = f"{trainer.id}-{'A' * 43}"
    for path in (f"/feeds/trainers/{forged}.ics", "/feeds/trainers/nothing.ics"):
        answer = client.get(path)
        assert (answer.status_code, answer.json["code"]) == (404, "not_found")
    # A planning token opens no trainer's feed, though the ids are alike.
    organiser = an_organiser(db_session)
    other_kind = planning_path(organiser).rsplit("/", 1)[1]
    assert client.get(f"/feeds/trainers/{other_kind}").status_code == 404


def test_an_organiser_planning_shows_their_events_drafts_included(client, make, db_session):
    mine = make.group()
    draft = make.group(make.event(published=False))
    not_mine = make.group()
    organiser = an_organiser(db_session, mine.event, draft.event)
    admin = an_organiser(db_session, admin=True)

    own = events(client.get(planning_path(organiser)).data)
    everything = events(client.get(planning_path(admin)).data)

    assert set(own) == {date_uid(d) for d in mine.dates + draft.dates}
    assert {date_uid(d) for d in mine.dates + draft.dates + not_mine.dates} <= set(everything)


def test_a_renewed_planning_link_answers_410(client, make, db_session):
    organiser = an_organiser(db_session, make.group().event)
    old = planning_path(organiser)

    renew_planning_feed(db_session, organiser)
    db_session.commit()

    assert client.get(old).status_code == 410
    assert client.get(planning_path(organiser)).status_code == 200


def test_a_deactivated_organiser_planning_answers_410(client, make, db_session):
    organiser = an_organiser(db_session, make.group().event)
    organiser.deactivated_at = organiser.created_at
    db_session.commit()

    answer = client.get(planning_path(organiser))

    assert (answer.status_code, answer.json["code"]) == (410, "gone")


def test_private_feeds_answer_304_until_a_date_changes(client, make, db_session):
    group = make.group()
    trainer = a_trainer(db_session)
    group.trainers = [trainer]
    organiser = an_organiser(db_session, group.event)
    db_session.commit()
    for path in (trainer_path(trainer), planning_path(organiser)):
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert (first.status_code, again.status_code, since.status_code) == (200, 304, 304)
        assert again.headers["ETag"] == first.headers["ETag"]

        cancel_date(db_session, group.dates[0])
        db_session.commit()
        changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert changed.status_code == 200
        assert changed.headers["ETag"] != first.headers["ETag"]
        assert events(changed.data)[date_uid(group.dates[0])]["status"] == "CANCELLED"
        group.dates[0].cancelled_at = None
        group.revision += 1
        db_session.commit()


def test_a_trainer_feed_speaks_the_trainer_language_unless_asked(client, make, db_session):
    trainer = a_trainer(db_session, languages=("es", "en", "fr"))
    make.group().trainers = [trainer]
    db_session.commit()

    english = client.get(trainer_path(trainer)).get_data(as_text=True)
    french = client.get(trainer_path(trainer), query_string={"lang": "fr"}).get_data(as_text=True)

    assert "X-WR-CALNAME:My sessions: Nadia Haddad" in english.replace("\r\n ", "")
    assert "X-WR-CALNAME:Mes séances : Nadia Haddad" in french.replace("\r\n ", "")


def _rename_room(db_session, organiser, trainer, group):
    places.update_room(db_session, organiser, group.room, {"name": "Salle Verte"})
    return "Salle Verte"


def _move_venue(db_session, organiser, trainer, group):
    places.update_venue(db_session, organiser, group.venue, {"street_address": "rue Neuve 7"})
    return "rue Neuve 7"


def _retitle_event(db_session, organiser, trainer, group):
    title = {"fr": "Atelier renommé", "en": "Renamed workshop"}
    update_event(Organising(db_session, organiser, group.event), {"title": title})
    return "Atelier renommé"


def _rename_trainer(db_session, organiser, trainer, group):
    places.update_trainer(db_session, organiser, trainer, {"name": "Nadia El Haddad"})
    return "Nadia El Haddad"


@pytest.mark.parametrize(
    ("feed", "edit"),
    [
        ("trainer", _rename_room),
        ("planning", _rename_room),
        ("trainer", _move_venue),
        ("planning", _move_venue),
        ("trainer", _retitle_event),
        ("planning", _retitle_event),
        ("trainer", _rename_trainer),
    ],
)
def test_private_feeds_show_at_once_an_edit_of_a_row_they_only_name(
    client, make, db_session, feed, edit
):
    # A room, a venue, an event or a trainer edited as an organiser does it: the feeds
    # that show its name or address must not answer 304 with the old text.
    room = make.room()
    group = make.group(venue=room.venue, room=room, **group_address(room.venue))
    trainer = a_trainer(db_session)
    group.trainers = [trainer]
    organiser = an_organiser(db_session, group.event)
    path = trainer_path(trainer) if feed == "trainer" else planning_path(organiser)
    first = client.get(path)
    assert first.status_code == 200

    shown = edit(db_session, organiser, trainer, group)
    db_session.commit()
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert shown in again.get_data(as_text=True).replace("\r\n ", "")


def test_a_trainer_feed_is_as_recent_as_the_trainer_it_names(app, make, db_session):
    trainer = a_trainer(db_session)
    make.group().trainers = [trainer]
    organiser = an_organiser(db_session)
    db_session.commit()
    token = trainer_path(trainer).rsplit("/", 1)[1].removesuffix(".ics")

    with app.app_context():
        before = trainer_feed(db_session, token, None).fingerprint
        places.update_trainer(db_session, organiser, trainer, {"name": "Nadia El Haddad"})
        db_session.commit()
        after = trainer_feed(db_session, token, None).fingerprint

    assert after.version != before.version
    # A calendar asking "modified since?" must hear yes too, not only one comparing ETags.
    assert after.last_modified == trainer.updated_at > before.last_modified
