"""The attendance rules (shared.domain.attendance): the dates each kind of registration is
expected at, held and called-off dates, completion, and where presence may be recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.domain import attendance, schedule
from shared.domain.registrations import Participant, register
from shared.errors import DateCalledOff, InvalidRequest, RegistrationClosed
from shared.models import (
    AttendanceRule,
    EmailKind,
    EventKind,
    OutboxMessage,
    Registration,
    Role,
    SessionDate,
)
from tests.support.factories import local


def one_date_event_group(make):
    return make.group(make.event(attendance_rule=AttendanceRule.ONE_DATE))


def test_a_two_date_registration_is_expected_at_every_held_date_of_its_group(make):
    group = make.group()
    person = make.registration(group)

    assert attendance.expected_dates(person) == group.dates
    assert attendance.scheduled_dates(person) == group.dates
    assert all(attendance.concerns(person, d) for d in group.dates)


def test_a_one_date_registration_is_expected_at_its_chosen_date_only(make):
    group = one_date_event_group(make)
    chosen, other = group.dates
    person = make.registration(group, date=chosen)

    assert attendance.expected_dates(person) == [chosen]
    assert attendance.concerns(person, chosen)
    assert not attendance.concerns(person, other)
    assert attendance.completed(person, {chosen.id: True})
    assert not attendance.completed(person, {other.id: True})


def test_drop_in_hours_are_held_weekly_and_take_no_registration(app, make, db_session):
    event = make.event(kind=EventKind.DROP_IN, attendance_rule=AttendanceRule.NO_REGISTRATION)
    weekly = (local("2026-01-07T09:30"), local("2026-01-07T12:00"))
    group = make.group(event, capacity=None, dates=[weekly])
    group.dates[0].recurrence_rule = "FREQ=WEEKLY;BYDAY=WE"
    db_session.commit()
    visitor = Participant("Ana", "Silva", "ana@example.org", Role.OTHER, "fr")

    assert attendance.held_dates(group) == group.dates
    with app.test_request_context(), pytest.raises(RegistrationClosed):
        register(db_session, event, group, visitor, commit_all_dates=True)


def test_a_called_off_date_is_no_longer_held_nor_expected_but_still_scheduled(
    app, make, db_session
):
    group = make.group()
    person = make.registration(group)
    kept, called_off = group.dates

    with app.test_request_context():
        schedule.cancel_date(db_session, called_off)

    assert not attendance.is_held(called_off)
    assert attendance.held_dates(group) == [kept]
    assert attendance.first_held_date(group) == kept
    assert attendance.expected_dates(person) == [kept]
    assert attendance.scheduled_dates(person) == [kept, called_off]
    assert attendance.completed(person, {kept.id: True})


def test_a_group_called_off_holds_none_of_its_dates(app, make, db_session):
    group = make.group()
    person = make.registration(group)

    with app.test_request_context():
        schedule.cancel_group(db_session, group)

    assert attendance.held_dates(group) == []
    assert attendance.first_held_date(group) is None
    assert attendance.expected_dates(person) == []
    assert not attendance.completed(person, {d.id: True for d in group.dates})


def test_a_moved_date_stays_expected_with_its_presence(app, make, db_session):
    group = make.group()
    person = make.registration(group)
    day_one, day_two = group.dates
    later = day_two.starts_at + timedelta(days=2)

    with app.test_request_context():
        schedule.change_date_time(db_session, day_two, later, later + timedelta(hours=6))

    assert attendance.expected_dates(person) == [day_one, day_two]
    assert attendance.completed(person, {day_one.id: True, day_two.id: True})


def test_an_added_date_is_expected_too_and_completion_waits_for_it(app, make, db_session):
    group = make.group()
    person = make.registration(group)
    marks = {d.id: True for d in group.dates}
    start = group.dates[-1].starts_at + timedelta(weeks=1)

    with app.test_request_context():
        added = schedule.add_date(db_session, group, start, start + timedelta(hours=6))
    db_session.refresh(group)

    assert attendance.expected_dates(person)[-1] == added
    assert not attendance.completed(person, marks)
    assert attendance.completed(person, {**marks, added.id: True})


def test_nobody_completes_a_registration_expected_at_no_date(make):
    group = make.group(dates=[])
    person = make.registration(group)

    assert attendance.expected_dates(person) == []
    assert not attendance.completed(person, {})


def test_presence_may_be_recorded_only_for_a_confirmed_participant_on_a_held_date_of_theirs(
    app, make, db_session
):
    group = make.group(capacity=1)
    confirmed, waiting = make.registration(group), make.registration(group)
    other_group = make.group(group.event)
    one_date_group = one_date_event_group(make)
    chosen, not_chosen = one_date_group.dates
    one_date_person = make.registration(one_date_group, date=chosen)

    attendance.check_presence_allowed(confirmed, group.dates[0])
    attendance.check_presence_allowed(one_date_person, chosen)
    for registration, session_date, field in [
        (confirmed, other_group.dates[0], "date"),
        (one_date_person, not_chosen, "date"),
        (waiting, group.dates[0], None),
    ]:
        with app.test_request_context(), pytest.raises(InvalidRequest) as refusal:
            attendance.check_presence_allowed(registration, session_date)
        assert list(refusal.value.errors) == ([field] if field else [])
    with app.test_request_context():
        schedule.cancel_date(db_session, group.dates[1])
    with pytest.raises(DateCalledOff) as called_off:
        attendance.check_presence_allowed(confirmed, group.dates[1])
    assert called_off.value.status == 409


def test_the_sql_clauses_agree_with_the_rules_for_every_registration_and_date(
    app, make, db_session
):
    two_dates = make.group()
    one_date = one_date_event_group(make)
    people = [make.registration(two_dates), make.registration(one_date, date=one_date.dates[1])]
    with app.test_request_context():
        schedule.cancel_date(db_session, two_dates.dates[0])
    dates = [*two_dates.dates, *one_date.dates]

    for person in people:
        from_sql = set(
            db_session.scalars(
                select(SessionDate.id)
                .join(SessionDate.group)
                .join(Registration, Registration.group_id == SessionDate.group_id)
                .where(
                    Registration.id == person.id,
                    attendance.concerns_clause(SessionDate.id),
                    attendance.held_clause(),
                )
            )
        )
        assert from_sql == {d.id for d in attendance.expected_dates(person)}
        assert from_sql == {
            d.id for d in dates if attendance.concerns(person, d) and attendance.is_held(d)
        }


def test_calling_off_a_date_of_a_group_called_off_tells_nobody_twice(app, make, db_session):
    group = make.group()
    make.registration(group)
    with app.test_request_context():
        schedule.cancel_group(db_session, group)
        changed = schedule.cancel_date(db_session, group.dates[0])

    assert changed is False
    kinds = db_session.scalars(select(OutboxMessage.kind).where(OutboxMessage.group_id == group.id))
    assert EmailKind.DATE_CANCELLED.value not in set(kinds)
