"""The attendance rules (shared.domain.attendance): the dates each kind of registration is
expected at, held and called-off dates, completion, and where and when presence may be
recorded."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from shared.domain import attendance, schedule
from shared.domain.registrations import Participant, register
from shared.errors import DateCalledOff, Forbidden, InvalidRequest, RegistrationClosed
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
    # The last of these dates has come (every group here starts the same day): only the rules
    # on whom and which date stand in the way.
    now = group.dates[1].ends_at

    attendance.check_presence_allowed(confirmed, group.dates[0], now=now)
    attendance.check_presence_allowed(one_date_person, chosen, now=now)
    for registration, session_date, field in [
        (confirmed, other_group.dates[0], "date"),
        (one_date_person, not_chosen, "date"),
        (waiting, group.dates[0], None),
    ]:
        with app.test_request_context(), pytest.raises(InvalidRequest) as refusal:
            attendance.check_presence_allowed(registration, session_date, now=now)
        assert list(refusal.value.errors) == ([field] if field else [])
    with app.test_request_context():
        schedule.cancel_date(db_session, group.dates[1])
    with pytest.raises(DateCalledOff) as called_off:
        attendance.check_presence_allowed(confirmed, group.dates[1], now=now)
    assert called_off.value.status == 409


def a_date(start: str) -> SessionDate:
    """A date starting at ``start`` (Brussels time), six hours long; the window reads no more."""
    starts_at = local(start)
    return SessionDate(starts_at=starts_at, ends_at=starts_at + timedelta(hours=6))


def window_refusal(app, session_date: SessionDate, now: datetime, *, by_admin: bool = False):
    """The refusal of presence on the date at ``now`` (None if allowed), its messages read."""
    with app.test_request_context():
        try:
            attendance.check_presence_window(session_date, now=now, by_admin=by_admin)
        except (InvalidRequest, Forbidden) as refusal:
            messages = {k: [str(m) for m in v] for k, v in refusal.errors.items()}
            return refusal.status, str(refusal.message), messages
    return None


def test_presence_is_refused_before_the_dates_own_day(app):
    session_date = a_date("2023-10-03T09:30")

    refusal = window_refusal(app, session_date, local("2023-10-02T23:59"))

    assert refusal == (
        422,
        "Certaines données sont invalides.",
        {"date": ["La présence ne peut être notée qu'à partir du jour de la séance."]},
    )
    # An administrator cannot record what has not happened either.
    assert window_refusal(app, session_date, local("2023-09-01T12:00"), by_admin=True)[0] == 422


def test_presence_may_be_recorded_from_the_start_of_the_dates_day_in_brussels(app):
    session_date = a_date("2023-10-03T09:30")
    # Half past midnight in Brussels is still the day before in UTC.
    past_midnight = a_date("2023-10-04T00:30")

    assert window_refusal(app, session_date, local("2023-10-03T00:00")) is None
    assert window_refusal(app, session_date, local("2023-10-03T09:00")) is None
    assert window_refusal(app, past_midnight, local("2023-10-04T00:05")) is None
    assert window_refusal(app, past_midnight, local("2023-10-03T23:55"))[0] == 422


def test_presence_may_be_recorded_until_the_thirtieth_day_after_the_date(app):
    session_date = a_date("2023-10-03T09:30")

    # 2 November is the 30th day after 3 October, whatever the hour.
    assert window_refusal(app, session_date, local("2023-11-02T23:59")) is None
    assert attendance.PRESENCE_WINDOW_DAYS == 30


def test_from_the_thirty_first_day_only_an_administrator_records_presence(app):
    session_date = a_date("2023-10-03T09:30")
    day_31 = local("2023-11-03T00:00")

    refusal = window_refusal(app, session_date, day_31)

    assert refusal == (
        403,
        "Plus de 30 jours ont passé depuis cette séance : seul un administrateur peut encore "
        "y noter la présence.",
        {},
    )
    assert window_refusal(app, session_date, day_31, by_admin=True) is None
    assert window_refusal(app, session_date, local("2025-01-01T12:00"), by_admin=True) is None


def test_the_window_applies_through_the_presence_rule(app, make, db_session):
    group = make.group()
    person = make.registration(group)
    day = group.dates[0]

    with app.test_request_context(), pytest.raises(InvalidRequest) as early:
        attendance.check_presence_allowed(person, day, now=day.starts_at - timedelta(days=1))
    with app.test_request_context(), pytest.raises(Forbidden):
        attendance.check_presence_allowed(person, day, now=day.starts_at + timedelta(days=31))

    assert list(early.value.errors) == ["date"]
    attendance.check_presence_allowed(
        person, day, now=day.starts_at + timedelta(days=31), by_admin=True
    )


def test_the_sql_clauses_agree_with_the_rules_for_every_registration_and_date(
    app, make, db_session
):
    two_dates = make.group()
    one_date = one_date_event_group(make)
    people = [make.registration(two_dates), make.registration(one_date, date=one_date.dates[1])]
    with app.test_request_context():
        schedule.cancel_date(db_session, two_dates.dates[0])
    dates = [*two_dates.dates, *one_date.dates]
    # The date left after the first was called off; the one date chosen.
    expected = [{two_dates.dates[1].id}, {one_date.dates[1].id}]

    for person, expected_ids in zip(people, expected, strict=True):
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
        assert from_sql == expected_ids
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
