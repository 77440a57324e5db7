"""A participant cancels a confirmed place by themselves until its first date begins; from then
on they tell the organisers, who cancel it. A freed place goes only to someone waiting whose
own first date has not begun."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from shared.database import utcnow
from shared.domain import registrations
from shared.domain.registrations import cancel
from shared.domain.roster import change_capacity, promote
from shared.domain.schedule import cancel_date, change_date_time
from shared.models import (
    AttendanceRule,
    EmailKind,
    Group,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from tests.registration.helpers import register
from tests.support.links import manage_token
from tests.support.pages import submit, text_of

CLOSED_EN = (
    "Your training has started: it can no longer be cancelled online. "
    "Please let the organisers know."
)
CLOSED_FR = (
    "Votre formation a commencé : l'annulation en ligne n'est plus possible. "
    "Prévenez l'équipe organisatrice."
)


def started_group(make, **event_fields):
    """A one-place group whose first date began yesterday and whose second is in six days."""
    first = utcnow() - timedelta(days=1)
    second = first + timedelta(days=7)
    event = make.event(registration_opens_at=None, **event_fields)
    dates = [(first, first + timedelta(hours=6)), (second, second + timedelta(hours=6))]
    return make.group(event, capacity=1, dates=dates)


def registered_before_the_start(make, group, **fields):
    return make.registration(group, at=utcnow() - timedelta(days=3), **fields)


def emails_queued(db_session) -> int:
    return db_session.scalar(select(func.count(OutboxMessage.id)))


def promoted_ids(db_session) -> list[int]:
    """The registrations told that a place opened for them, in order."""
    promoted = select(OutboxMessage.registration_id).where(OutboxMessage.kind == EmailKind.PROMOTED)
    return list(db_session.scalars(promoted.order_by(OutboxMessage.id)))


def test_a_confirmed_place_is_not_cancelled_online_once_its_first_date_began(
    client, make, db_session
):
    group = started_group(make)
    confirmed, waiting = (registered_before_the_start(make, group) for _ in range(2))
    queued = emails_queued(db_session)

    response = client.post(
        f"/api/v1/registrations/{manage_token(confirmed)}/cancel",
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 409
    assert (response.json["code"], response.json["message"]) == ("cancellation_closed", CLOSED_EN)
    db_session.refresh(confirmed)
    db_session.refresh(waiting)
    assert confirmed.status is RegistrationStatus.CONFIRMED and confirmed.cancelled_at is None
    assert (waiting.status, waiting.waitlist_position) == (RegistrationStatus.WAITLISTED, 1)
    assert emails_queued(db_session) == queued


def test_the_waiting_list_is_left_at_any_time_and_a_freed_place_stays_free(
    client, make, db_session
):
    group = started_group(make)
    confirmed, first, second = (registered_before_the_start(make, group) for _ in range(3))

    left = client.post(f"/api/v1/registrations/{manage_token(first)}/cancel")
    promoted = cancel(db_session, confirmed)  # what an organiser's cancellation does
    db_session.commit()

    assert (left.status_code, left.json["status"]) == (200, "cancelled")
    assert promoted == []
    db_session.refresh(second)
    assert (second.status, second.waitlist_position) == (RegistrationStatus.WAITLISTED, 1)
    listed = client.get(f"/api/v1/events/{group.event.slug}").json["groups"][0]
    assert (listed["seats_left"], listed["waitlist_length"]) == (1, 1)


def test_a_one_date_place_is_cancelled_until_its_own_date_begins(client, make, db_session):
    group = started_group(make, attendance_rule=AttendanceRule.ONE_DATE)
    yesterday, next_week = group.dates
    past = registered_before_the_start(make, group, date=yesterday)
    coming = make.registration(group, at=utcnow() - timedelta(days=3), date=next_week)

    refused = client.post(f"/api/v1/registrations/{manage_token(past)}/cancel")
    cancelled = client.post(f"/api/v1/registrations/{manage_token(coming)}/cancel")

    assert refused.status_code == 409
    assert (cancelled.status_code, cancelled.json["status"]) == (200, "cancelled")


def test_the_pages_say_whom_to_tell_instead_of_offering_to_cancel(client, make, db_session):
    group = started_group(make, organiser_contact="coordination@dics.example")
    person = registered_before_the_start(make, group)
    manage = f"/manage/{manage_token(person)}"

    page = text_of(client.get(manage))
    confirm = text_of(client.get(f"{manage}/cancel"))
    posted = submit(client, "/manage-link", f"{manage}/cancel", {})

    for html in (page, confirm):
        assert CLOSED_FR in html and "coordination@dics.example" in html
    assert f'href="{manage}/cancel"' not in page
    assert 'method="post"' not in confirm
    assert posted.status_code == 409 and CLOSED_FR in text_of(posted)
    db_session.refresh(person)
    assert person.status is RegistrationStatus.CONFIRMED


def test_before_the_first_date_the_manage_page_offers_to_cancel(client, make):
    person = make.registration()
    manage = f"/manage/{manage_token(person)}"

    page = text_of(client.get(manage))

    assert f'href="{manage}/cancel"' in page
    assert CLOSED_FR not in page


def test_the_waiting_see_that_no_place_will_come_once_the_group_started(client, make):
    group = started_group(make)
    registered_before_the_start(make, group)
    waiting = registered_before_the_start(make, group)

    page = text_of(client.get(f"/manage/{manage_token(waiting)}"))

    assert "Aucune place ne peut plus vous être attribuée" in page
    assert "Si une place se libère" not in page


def test_a_freed_place_goes_to_the_first_waiting_whose_date_has_not_begun(client, make, db_session):
    group = started_group(make, attendance_rule=AttendanceRule.ONE_DATE)
    yesterday, next_week = group.dates
    holder = registered_before_the_start(make, group, date=next_week)
    too_late = registered_before_the_start(make, group, date=yesterday)
    in_time = registered_before_the_start(make, group, date=next_week)

    client.post(f"/api/v1/registrations/{manage_token(holder)}/cancel")

    db_session.refresh(too_late)
    db_session.refresh(in_time)
    assert (too_late.status, too_late.waitlist_position) == (RegistrationStatus.WAITLISTED, 1)
    assert in_time.status is RegistrationStatus.CONFIRMED
    assert promoted_ids(db_session) == [in_time.id]


def test_in_a_started_group_more_places_confirm_nobody_but_an_organiser_can(make, db_session):
    group = started_group(make)
    registered_before_the_start(make, group)
    waiting = registered_before_the_start(make, group)

    confirmed_by_capacity = change_capacity(db_session, group, 2)
    raised = promote(db_session, waiting)
    db_session.commit()

    assert confirmed_by_capacity == []
    assert not raised  # the place was free already
    db_session.refresh(waiting)
    assert waiting.status is RegistrationStatus.CONFIRMED
    assert promoted_ids(db_session) == [waiting.id]


def test_a_first_date_moved_later_gives_the_freed_place_to_the_first_waiting(make, db_session):
    group = started_group(make)
    confirmed, waiting = (registered_before_the_start(make, group) for _ in range(2))
    cancel(db_session, confirmed)
    db_session.commit()
    first = group.dates[0]

    later = timedelta(days=3)  # still before the second date
    change_date_time(db_session, first, first.starts_at + later, first.ends_at + later)
    db_session.commit()

    db_session.refresh(waiting)
    assert waiting.status is RegistrationStatus.CONFIRMED
    assert promoted_ids(db_session) == [waiting.id]


def test_a_free_place_goes_to_those_waiting_before_any_newcomer(client, make, db_session):
    group = make.group(capacity=1)
    make.registration(group)
    waiting = make.registration(group)
    # A free place while someone waits, as stored before the waiting list moved again.
    db_session.execute(update(Group).where(Group.id == group.id).values(capacity=2))
    db_session.commit()

    newcomer = register(client, group)

    assert newcomer.status_code == 201
    assert (newcomer.json["status"], newcomer.json["waitlist_position"]) == ("waitlisted", 1)
    db_session.refresh(waiting)
    assert waiting.status is RegistrationStatus.CONFIRMED
    assert promoted_ids(db_session) == [waiting.id]


def test_nobody_waiting_for_a_called_off_date_is_given_a_place(client, make, db_session):
    first = utcnow() + timedelta(days=10)
    second = first + timedelta(days=7)
    group = make.group(
        make.event(registration_opens_at=None, attendance_rule=AttendanceRule.ONE_DATE),
        capacity=1,
        dates=[(first, first + timedelta(hours=3)), (second, second + timedelta(hours=3))],
    )
    called_off, kept = group.dates
    holder = make.registration(group, date=kept)
    for_called_off = make.registration(group, date=called_off)
    for_kept = make.registration(group, date=kept)
    cancel_date(db_session, called_off)
    db_session.commit()

    client.post(f"/api/v1/registrations/{manage_token(holder)}/cancel")

    db_session.refresh(for_called_off)
    db_session.refresh(for_kept)
    assert for_called_off.status is RegistrationStatus.WAITLISTED
    assert for_kept.status is RegistrationStatus.CONFIRMED
    assert promoted_ids(db_session) == [for_kept.id]
    page = text_of(client.get(f"/manage/{manage_token(for_called_off)}"))
    assert "Aucune place ne peut plus vous être attribuée" in page


def test_a_begun_first_date_called_off_gives_the_freed_place_to_the_first_waiting(make, db_session):
    group = started_group(make)
    confirmed, waiting = (registered_before_the_start(make, group) for _ in range(2))
    cancel(db_session, confirmed)
    db_session.commit()

    cancel_date(db_session, group.dates[0])
    db_session.commit()

    db_session.refresh(waiting)
    assert waiting.status is RegistrationStatus.CONFIRMED
    assert promoted_ids(db_session) == [waiting.id]


def test_a_place_promoted_by_hand_meanwhile_is_not_cancelled_online(
    client, make, db_session, monkeypatch
):
    group = started_group(make)
    registered_before_the_start(make, group)
    waiting = registered_before_the_start(make, group)
    take_lock = registrations.lock_group

    def promoted_by_an_organiser_first(session, locked):
        # What the request reads once it has the lock: an organiser's promotion, committed
        # while it waited for it.
        confirmed = {"status": RegistrationStatus.CONFIRMED, "waitlist_position": None}
        session.execute(update(Registration).where(Registration.id == waiting.id).values(confirmed))
        take_lock(session, locked)

    monkeypatch.setattr(registrations, "lock_group", promoted_by_an_organiser_first)

    refused = client.post(f"/api/v1/registrations/{manage_token(waiting)}/cancel")

    assert (refused.status_code, refused.json["code"]) == (409, "cancellation_closed")
    db_session.refresh(waiting)
    assert waiting.cancelled_at is None  # the refused request changed nothing
