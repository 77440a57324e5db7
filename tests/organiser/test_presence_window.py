"""When presence may be recorded, through the API and the presence page: from the date's own
day (Brussels), for 30 days; later, only by an administrator."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import Attendance
from tests.organiser.conftest import (
    audit_actions,
    held_group,
    log_in,
    post_form,
    registered_before,
)

NOT_YET = "La présence ne peut être notée qu'à partir du jour de la séance."
TOO_LATE = (
    "Plus de 30 jours ont passé depuis cette séance : seul un administrateur peut encore y "
    "noter la présence."
)


def attendance_url(registration) -> str:
    return f"/api/v1/events/{registration.event.slug}/registrations/{registration.id}/attendance"


def marks_of(db_session, registration) -> list[tuple[int, bool]]:
    db_session.expire_all()
    rows = db_session.scalars(
        select(Attendance).where(Attendance.registration_id == registration.id)
    )
    return sorted((a.session_date_id, a.present) for a in rows)


def test_the_api_records_presence_from_the_day_until_30_days_then_only_for_an_admin(
    client, make, accounts, db_session
):
    # Dates 31 days ago (closed to organisers), 30 days ago and today (open), in a week (not yet).
    group = held_group(make, days_ago=(31, 30, 0, -7))
    person = registered_before(make, group)
    too_old, last_day, today, next_week = group.dates
    organiser, admin = accounts(group.event), accounts(admin=True)

    def mark(account, day):
        return client.put(
            attendance_url(person), json={"date": day.id, "present": True}, headers=account.bearer
        )

    not_yet = mark(organiser, next_week)
    too_late = mark(organiser, too_old)
    in_time = [mark(organiser, day).status_code for day in (last_day, today)]
    by_admin = mark(admin, too_old)
    admin_early = mark(admin, next_week)

    assert (not_yet.status_code, not_yet.json["errors"]) == (422, {"date": [NOT_YET]})
    assert (too_late.status_code, too_late.json["code"]) == (403, "forbidden")
    assert too_late.json["message"] == TOO_LATE
    assert in_time == [200, 200]
    assert by_admin.status_code == 200
    assert admin_early.status_code == 422
    assert marks_of(db_session, person) == [
        (too_old.id, True),
        (last_day.id, True),
        (today.id, True),
    ]
    assert [entry for entry in audit_actions(db_session) if entry[0] == "attendance.marked"] == [
        ("attendance.marked", organiser.organiser.id, person.id),
        ("attendance.marked", organiser.organiser.id, person.id),
        ("attendance.marked", admin.organiser.id, person.id),
    ]


def test_the_presence_page_says_why_a_date_is_not_open_and_refuses_a_tap(
    client, make, accounts, db_session
):
    group = make.group()  # its dates are still to come
    person = make.registration(group, last_name="Kovalenko")
    log_in(client, accounts(group.event))
    page_url = f"/organiser/events/{group.event.slug}/dates/{group.dates[0].id}/presence"

    page = client.get(page_url).get_data(as_text=True)
    tapped = post_form(client, page_url, registration=person.id, present="1")

    assert "Kovalenko" in page
    assert "partir du jour de la séance" in page
    assert page.count(" disabled") == 2
    assert tapped.status_code == 422
    assert "partir du jour de la séance" in tapped.get_data(as_text=True)
    assert marks_of(db_session, person) == []


def test_the_presence_page_of_an_old_date_is_open_to_an_administrator_only(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(40, 33))
    person = registered_before(make, group)
    page_url = f"/organiser/events/{group.event.slug}/dates/{group.dates[0].id}/presence"
    log_in(client, accounts(group.event))

    refused = post_form(client, page_url, registration=person.id, present="1")
    admin_client = client.application.test_client()
    log_in(admin_client, accounts(admin=True))
    admin_page = admin_client.get(page_url).get_data(as_text=True)
    accepted = post_form(admin_client, page_url, registration=person.id, present="0")

    assert refused.status_code == 403
    assert "seul un administrateur" in refused.get_data(as_text=True)
    assert " disabled" not in admin_page
    assert accepted.status_code == 303
    assert marks_of(db_session, person) == [(group.dates[0].id, False)]
