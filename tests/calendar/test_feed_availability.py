"""A feed offers a group as its registration form does: a waiting list only while
registration is open, and its cached copy is rebuilt once the registration window moves on."""

from __future__ import annotations

from datetime import timedelta

from shared.database import utcnow
from shared.ical import date_uid
from tests.calendar.ics import events

WAITING_LIST = "Complet : inscription possible sur liste d'attente."


def test_a_full_group_offers_its_waiting_list_while_registration_is_open(client, make):
    event = make.event(registration_closes_at=utcnow() + timedelta(days=3))
    group = make.group(event, capacity=1)
    make.registration(group)

    vevent = events(client.get(f"/sessions/{group.id}.ics").data)[date_uid(group.dates[0])]

    assert WAITING_LIST in vevent["description"]


def test_a_full_group_offers_no_waiting_list_once_registration_closed(client, make):
    event = make.event(registration_closes_at=utcnow() + timedelta(days=3))
    group = make.group(event, capacity=1)
    make.registration(group)
    event.registration_closes_at = utcnow() - timedelta(minutes=1)
    make.session.commit()

    vevent = events(client.get(f"/sessions/{group.id}.ics").data)[date_uid(group.dates[0])]

    assert WAITING_LIST not in vevent["description"]
    assert "Inscriptions fermées" in vevent["description"]


def test_places_left_are_not_offered_once_registration_closed(client, make):
    event = make.event(registration_closes_at=utcnow() - timedelta(minutes=1))
    group = make.group(event, capacity=20)

    vevent = events(client.get(f"/sessions/{group.id}.ics").data)[date_uid(group.dates[0])]

    assert "places restantes" not in vevent["description"]
    assert "Inscriptions fermées" in vevent["description"]


def test_the_feed_changes_version_when_registration_closes_without_any_write(app, make):
    from services.calendar.operations import group_feed

    closes = utcnow() + timedelta(days=3)
    group = make.group(make.event(registration_closes_at=closes), capacity=1)

    with app.app_context():
        before = group_feed(group.id).fingerprint(make.session, closes - timedelta(minutes=1))
        after = group_feed(group.id).fingerprint(make.session, closes + timedelta(minutes=1))

    assert before.version != after.version
