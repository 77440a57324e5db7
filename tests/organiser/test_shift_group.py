"""A group's dates move by whole days in one request: at the same hours, across a change of
daylight saving time too; every date checked first; SEQUENCE raised once per date; one
email per participant."""

from __future__ import annotations

from sqlalchemy import func, select

from shared.i18n import BRUSSELS
from shared.models import EmailKind, OutboxMessage
from tests.support.factories import local

ENGLISH = {"Accept-Language": "en"}


def shift(client, account, group, **body):
    return client.post(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/shift",
        json=body,
        headers={**account.bearer, **ENGLISH},
    )


def test_shifting_moves_every_date_at_its_hour_and_tells_each_participant_once(
    client, accounts, make, db_session
):
    # The last Sunday of March 2030 (the 31st) moves Brussels to summer time.
    group = make.group(
        dates=[
            (local("2030-03-19T09:30"), local("2030-03-19T16:00")),
            (local("2030-03-26T09:30"), local("2030-03-26T16:00")),
        ]
    )
    person = make.registration(group)
    account = accounts(group.event)
    db_session.commit()
    emails = select(func.count(OutboxMessage.id)).where(
        OutboxMessage.registration_id == person.id, OutboxMessage.kind == EmailKind.DATE_CHANGED
    )

    shifted = shift(client, account, group, days=14)

    assert shifted.status_code == 200
    assert [(d["start"], d["sequence"]) for d in shifted.json["dates"]] == [
        ("2030-04-02T09:30:00+02:00", 1),
        ("2030-04-09T09:30:00+02:00", 1),
    ]
    assert db_session.scalar(emails) == 1
    db_session.expire_all()
    assert group.dates[0].starts_at.astimezone(BRUSSELS).hour == 9


def test_a_shift_onto_a_clash_moves_nothing(client, accounts, make, db_session):
    room = make.room()
    group = make.group(dates=[(local("2030-03-19T09:30"), local("2030-03-19T16:00"))])
    neighbour = make.group(dates=[(local("2030-03-20T10:00"), local("2030-03-20T12:00"))])
    group.room = neighbour.room = room
    account = accounts(group.event)
    db_session.commit()

    refused = shift(client, account, group, days=1)

    assert refused.status_code == 409 and refused.json["code"] == "schedule_conflict"
    db_session.expire_all()
    assert group.dates[0].starts_at == local("2030-03-19T09:30")
    assert group.dates[0].sequence == 0


def test_a_shift_of_zero_or_beyond_two_years_is_refused(client, accounts, make, db_session):
    group = make.group()
    account = accounts(group.event)
    db_session.commit()

    nothing = shift(client, account, group, days=0)
    too_far = shift(client, account, group, days=731)

    assert nothing.json["errors"] == {"days": ["A shift of 0 days changes nothing."]}
    assert too_far.status_code == 422 and list(too_far.json["errors"]) == ["days"]


def test_shifting_an_event_moves_every_group_keeping_their_places_among_themselves(
    client, accounts, make, db_session
):
    room = make.room()
    event = make.event()
    # The first group moves onto the second's day, which moves on too: no clash.
    first = make.group(event, dates=[(local("2030-03-19T09:30"), local("2030-03-19T16:00"))])
    second = make.group(event, dates=[(local("2030-03-26T09:30"), local("2030-03-26T16:00"))])
    first.room = second.room = room
    account = accounts(event)
    db_session.commit()

    shifted = client.post(
        f"/api/v1/events/{event.slug}/shift", json={"days": 7}, headers=account.bearer
    )

    assert shifted.status_code == 200
    assert [g["dates"][0]["start"] for g in shifted.json["groups"]] == [
        "2030-03-26T09:30:00+01:00",
        "2030-04-02T09:30:00+02:00",
    ]
