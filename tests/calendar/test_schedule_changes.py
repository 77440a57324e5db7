"""Moving, relocating and cancelling sessions: calendars see a newer version of the same
event (same UID, higher SEQUENCE, STATUS:CANCELLED) and every participant gets an email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.database import utcnow
from shared.domain.registrations import cancel
from shared.domain.schedule import cancel_date, cancel_group, change_date_time, change_venue
from shared.errors import InvalidRequest
from shared.ical import BRUSSELS, date_uid
from shared.models import EmailKind, OutboxMessage
from tests.calendar.ics import events


def outbox(db_session, kind: EmailKind) -> list[OutboxMessage]:
    return list(
        db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def test_time_change_keeps_the_uid_and_raises_the_sequence(client, make, db_session):
    group = make.group()
    moved, kept = group.dates
    path = f"/feeds/events/{group.event.slug}.ics"
    before = events(client.get(path).data)
    revision = group.revision

    change_date_time(
        db_session, moved, moved.starts_at + timedelta(hours=1), moved.ends_at + timedelta(hours=1)
    )
    db_session.commit()
    after = events(client.get(path).data)

    assert set(after) == set(before) == {date_uid(moved), date_uid(kept)}
    assert after[date_uid(moved)]["sequence"] == before[date_uid(moved)]["sequence"] + 1
    assert after[date_uid(kept)]["sequence"] == before[date_uid(kept)]["sequence"]
    assert after[date_uid(moved)]["dtstart"].dt == moved.starts_at
    assert group.revision == revision + 1


def test_time_change_emails_every_active_participant_with_the_old_time(make, db_session):
    group = make.group()
    staying = make.registration(group)
    leaving = make.registration(group)
    cancel(db_session, leaving)
    session_date = group.dates[0]
    old_start = session_date.starts_at

    change_date_time(db_session, session_date, old_start - timedelta(hours=1), session_date.ends_at)

    [message] = outbox(db_session, EmailKind.DATE_CHANGED)
    assert message.registration_id == staying.id
    assert message.payload["session_date_id"] == session_date.id
    assert message.payload["previous_starts_at"] == old_start.isoformat()


def test_unchanged_time_changes_nothing(make, db_session):
    group = make.group()
    make.registration(group)
    session_date = group.dates[0]

    changed = change_date_time(
        db_session, session_date, session_date.starts_at, session_date.ends_at
    )

    assert changed is False
    assert session_date.sequence == 0


def test_end_before_start_is_refused_and_nothing_changes(make, db_session):
    session_date = make.group().dates[0]
    start = session_date.starts_at

    with pytest.raises(InvalidRequest) as refused:
        change_date_time(db_session, session_date, start, start - timedelta(hours=1))

    assert set(refused.value.errors) == {"end"}
    assert (session_date.starts_at, session_date.sequence) == (start, 0)


def test_venue_change_moves_every_date_and_emails_participants(client, make, db_session):
    group = make.group(venue_name="DICS")
    registration = make.registration(group)

    change_venue(db_session, group, venue_name="Maison de la culture", street_address="Quai 1")
    db_session.commit()
    found = events(client.get(f"/sessions/{group.id}.ics").data)

    for session_date in group.dates:
        vevent = found[date_uid(session_date)]
        assert str(vevent["location"]).startswith("Maison de la culture, Quai 1, ")
        assert vevent["sequence"] == 1
    [message] = outbox(db_session, EmailKind.DATE_CHANGED)
    assert message.registration_id == registration.id
    assert message.payload["changed"] == ["street_address", "venue_name"]
    assert message.payload["previous_venue_name"] == "DICS"


def test_unknown_venue_field_is_refused(make, db_session):
    group = make.group()

    with pytest.raises(InvalidRequest) as refused:
        change_venue(db_session, group, capacity=5)

    assert set(refused.value.errors) == {"capacity"}


def test_cancelled_date_stays_in_the_feeds_as_cancelled(client, make, db_session):
    group = make.group()
    registration = make.registration(group)
    cancelled, kept = group.dates

    cancel_date(db_session, cancelled)
    db_session.commit()

    for path in ("/feeds/all.ics", f"/feeds/towns/{group.town_slug}.ics"):
        found = events(client.get(path).data)
        assert found[date_uid(cancelled)]["status"] == "CANCELLED"
        assert found[date_uid(cancelled)]["sequence"] == 1
        assert str(found[date_uid(cancelled)]["summary"]).startswith("Annulé : ")
        assert found[date_uid(kept)]["status"] == "CONFIRMED"
    [message] = outbox(db_session, EmailKind.DATE_CANCELLED)
    assert message.registration_id == registration.id
    assert cancel_date(db_session, cancelled) is False


def test_cancelled_group_stays_in_open_feeds_for_ninety_days_after_cancellation(
    client, make, db_session
):
    long_ago = (utcnow() - timedelta(days=100)).astimezone(BRUSSELS).replace(microsecond=0)
    held = make.group(dates=[(long_ago, long_ago + timedelta(hours=6))])
    called_off = make.group(dates=[(long_ago, long_ago + timedelta(hours=6))])

    cancel_group(db_session, called_off, now=utcnow() - timedelta(days=80))
    db_session.commit()
    found = events(client.get("/feeds/all.ics").data)

    assert found[date_uid(called_off.dates[0])]["status"] == "CANCELLED"
    assert date_uid(held.dates[0]) not in found


def test_cancelled_group_emails_every_active_participant(client, make, db_session):
    group = make.group()
    registrations = [make.registration(group) for _ in range(2)]

    cancel_group(db_session, group)
    db_session.commit()
    found = events(client.get(f"/sessions/{group.id}.ics").data)

    assert [m.registration_id for m in outbox(db_session, EmailKind.GROUP_CANCELLED)] == [
        r.id for r in registrations
    ]
    assert {vevent["status"] for vevent in found.values()} == {"CANCELLED"}
    assert {vevent["sequence"] for vevent in found.values()} == {1}
    assert cancel_group(db_session, group) is False
