"""A participant's own feed tells them where they stand as their manage page does: a place
that may still come while it can, and none once their training has begun."""

from __future__ import annotations

from datetime import timedelta

from shared.database import utcnow
from shared.domain.capacity import Place, place_of
from shared.ical import date_uid
from tests.calendar.ics import events
from tests.support.links import calendar_token


def _waiting_when_training_began(make):
    now = utcnow()
    event = make.event(registration_opens_at=now - timedelta(days=10))
    first = now - timedelta(hours=1)
    group = make.group(
        event,
        capacity=1,
        dates=[
            (first, first + timedelta(hours=6)),
            (first + timedelta(weeks=1), first + timedelta(weeks=1, hours=6)),
        ],
    )
    make.registration(group, at=now - timedelta(days=2))
    waiting = make.registration(group, at=now - timedelta(days=2))
    return group, waiting


def test_a_waitlisted_participant_whose_training_began_is_told_no_place_will_come(client, make):
    group, waiting = _waiting_when_training_began(make)

    found = events(client.get(f"/feeds/personal/{calendar_token(waiting)}.ics").data)

    assert place_of(waiting, utcnow()) is Place.NO_PLACE
    for uid in (date_uid(d) for d in group.dates):
        assert found[uid]["status"] == "CANCELLED"
        assert "aucune place ne vous sera attribuée" in found[uid]["summary"]
        assert "position" not in found[uid]["summary"]


def test_the_feed_changes_version_when_the_training_begins_without_any_write(app, make):
    from services.calendar.operations import personal_feed

    now = utcnow()
    group = make.group(make.event(), capacity=1)
    make.registration(group)
    waiting = make.registration(group)
    begins = group.dates[0].starts_at

    with app.app_context():
        token = calendar_token(waiting)
        before = personal_feed(make.session, token, None, now=begins - timedelta(minutes=1))
        after = personal_feed(make.session, token, None, now=begins + timedelta(minutes=1))

    assert now < begins
    assert before.fingerprint.version != after.fingerprint.version
    # A calendar asking "modified since?" must hear yes too, not only one comparing ETags.
    assert after.fingerprint.last_modified > before.fingerprint.last_modified
