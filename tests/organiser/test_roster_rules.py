"""The shared roster rules (shared.domain.roster) applied directly to a session."""

from __future__ import annotations

import pytest

from shared.domain import roster
from shared.domain.capacity import lock_group
from shared.domain.registrations import Participant, register
from shared.errors import CapacityConflict, InvalidRequest
from shared.models import AttendanceRule, EmailKind, OutboxMessage, RegistrationStatus, Role


def kinds_since(db_session, before: int) -> list[str]:
    rows = db_session.query(OutboxMessage).order_by(OutboxMessage.id).all()
    return [row.kind for row in rows[before:]]


def test_moving_someone_off_the_waiting_list_closes_the_gap_without_promoting(
    app, make, db_session
):
    group = make.group(capacity=1)
    make.registration(group)
    first, second = make.registration(group), make.registration(group)
    target = make.group(group.event)
    before = db_session.query(OutboxMessage).count()

    with app.test_request_context():
        promoted = roster.move(db_session, first, target)

    db_session.refresh(second)
    assert promoted == []
    assert (first.status, first.group_id) == (RegistrationStatus.CONFIRMED, target.id)
    assert second.waitlist_position == 1
    assert kinds_since(db_session, before) == [EmailKind.MOVED]


def test_moving_within_a_one_date_event_needs_a_date_of_the_target(app, make, db_session):
    event = make.event(attendance_rule=AttendanceRule.ONE_DATE)
    group = make.group(event)
    target = make.group(event)
    chosen = Participant("Ana", "Silva", "ana@example.org", Role.RESEARCHER, "fr")
    with app.test_request_context():
        person = register(
            db_session, event, group, chosen, commit_all_dates=False, date_id=group.dates[0].id
        )

    with app.test_request_context(), pytest.raises(InvalidRequest) as refusal:
        roster.move(db_session, person, target, date_id=group.dates[0].id)
    assert "date" in refusal.value.errors

    with app.test_request_context():
        roster.move(db_session, person, target, date_id=target.dates[1].id)
    assert person.session_date_id == target.dates[1].id


def test_moving_to_a_group_of_another_event_or_a_cancelled_one_is_refused(app, make, db_session):
    group = make.group()
    person = make.registration(group)
    cancelled = make.group(group.event)
    cancelled.cancelled_at = cancelled.created_at
    db_session.commit()

    with app.test_request_context():
        for target in (make.group(), cancelled, group):
            with pytest.raises(InvalidRequest):
                roster.move(db_session, person, target)


def test_removing_the_limit_confirms_everyone_waiting(app, make, db_session):
    group = make.group(capacity=1)
    make.registration(group)
    waiting = [make.registration(group) for _ in range(3)]

    with app.test_request_context():
        promoted = roster.change_capacity(db_session, group, None)

    assert promoted == waiting
    assert all(r.status is RegistrationStatus.CONFIRMED for r in waiting)


def test_capacity_can_go_down_to_exactly_the_confirmed_count(app, make, db_session):
    group = make.group(capacity=5)
    for _ in range(3):
        make.registration(group)

    with app.test_request_context():
        roster.change_capacity(db_session, group, 3)
        with pytest.raises(CapacityConflict):
            roster.change_capacity(db_session, group, 2)

    assert group.capacity == 3


def test_promoting_into_a_group_with_a_free_place_keeps_its_capacity(app, make, db_session):
    group = make.group(capacity=1)
    make.registration(group)
    waiting = make.registration(group)
    group.capacity = 2  # set behind the rules' back: a free place and someone waiting
    db_session.commit()

    with app.test_request_context():
        raised = roster.promote(db_session, waiting)

    assert raised is False
    assert group.capacity == 2
    assert waiting.status is RegistrationStatus.CONFIRMED


def test_taking_a_groups_lock_keeps_a_change_not_yet_written(app, make, db_session):
    group = make.group(capacity=5)
    group.capacity = 9
    revision = group.revision

    with app.test_request_context():
        lock_group(db_session, group)
    db_session.flush()
    db_session.expire(group)

    assert (group.capacity, group.revision) == (9, revision + 1)
