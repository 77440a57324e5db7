"""A group's recurring dates come from a weekly rule: previewed first (dates, Belgian public
holidays skipped, clashes), then added at once, each participant told once; at most 200."""

from __future__ import annotations

from sqlalchemy import func, select

from shared.models import OutboxMessage, SessionDate
from tests.organiser.conftest import log_in, post_form
from tests.support.factories import local

ENGLISH = {"Accept-Language": "en"}
# Wednesdays 9:30-12:00 from 17 April to 15 May 2030; 1 May, Labour Day, is a Wednesday.
RULE = {
    "weekdays": ["WE"],
    "first_day": "2030-04-17",
    "until": "2030-05-15",
    "start_time": "09:30",
    "end_time": "12:00",
}


def series(client, account, group, **body):
    return client.post(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/series",
        json={**RULE, **body},
        headers={**account.bearer, **ENGLISH},
    )


def test_a_preview_lists_the_dates_and_the_holidays_skipped_and_writes_nothing(
    client, accounts, make, db_session
):
    group = make.group(dates=[])
    account = accounts(group.event)
    db_session.commit()

    preview = series(client, account, group, preview=True, exceptions=["2030-04-24"])

    assert preview.status_code == 200
    assert [d["start"] for d in preview.json["dates"]] == [
        "2030-04-17T09:30:00+02:00",
        "2030-05-08T09:30:00+02:00",
        "2030-05-15T09:30:00+02:00",
    ]
    assert preview.json["holidays"] == [{"day": "2030-05-01", "name": "Labour Day"}]
    assert preview.json["added"] == []
    assert db_session.scalar(select(func.count(SessionDate.id))) == 0


def test_holidays_are_skipped_and_the_series_is_added_with_one_email_per_participant(
    client, accounts, make, db_session
):
    group = make.group(dates=[(local("2030-04-10T09:30"), local("2030-04-10T12:00"))])
    person = make.registration(group)
    account = accounts(group.event)
    db_session.commit()
    before = db_session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.registration_id == person.id)
    )

    added = series(client, account, group)

    assert added.status_code == 200
    assert added.json["holidays"] == [{"day": "2030-05-01", "name": "Labour Day"}]
    assert [d["start"][:10] for d in added.json["added"]] == [
        "2030-04-17",
        "2030-04-24",
        "2030-05-08",
        "2030-05-15",
    ]
    after = db_session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.registration_id == person.id)
    )
    assert after == before + 1


def test_a_series_that_clashes_is_refused_whole_unless_forced(client, accounts, make, db_session):
    group = make.group(dates=[(local("2030-04-24T10:00"), local("2030-04-24T11:00"))])
    account = accounts(group.event)
    db_session.commit()

    refused = series(client, account, group)
    forced = series(client, account, group, force=True)

    assert refused.status_code == 409 and refused.json["code"] == "schedule_conflict"
    assert forced.status_code == 200
    assert len(forced.json["added"]) == 4 and len(forced.json["clashes"]) == 1


def test_nonsense_rules_are_refused_on_their_field(client, accounts, make, db_session):
    group = make.group(dates=[])
    account = accounts(group.event)
    db_session.commit()

    unknown_day = series(client, account, group, weekdays=["XX"])
    backwards = series(client, account, group, end_time="08:00")
    no_date = series(client, account, group, until=None, count=None)
    too_many = series(client, account, group, weekdays=["MO", "TU"], until="2032-12-31")
    nothing = series(client, account, group, first_day="2030-05-01", until="2030-05-01")

    assert unknown_day.json["errors"] == {
        "weekdays": [{"0": ["Unknown day: MO, TU, WE, TH, FR, SA or SU."]}]
    }
    assert backwards.json["errors"] == {"end_time": ["The end must come after the start."]}
    assert no_date.status_code == 422
    assert too_many.json["errors"] == {"until": ["At most 200 dates per request."]}
    assert nothing.json["errors"] == {"until": ["This rule yields no date."]}
    assert db_session.scalar(select(func.count(SessionDate.id))) == 0


def test_the_group_page_previews_then_adds_a_series_and_shifts_it(
    client, accounts, make, db_session
):
    group = make.group(dates=[])
    account = accounts(group.event)
    db_session.commit()
    log_in(client, account)
    page = f"/organiser/events/{group.event.slug}/groups/{group.slug}"
    form = {k: v for k, v in RULE.items() if k != "weekdays"} | {"weekdays": "WE"}

    preview = post_form(client, f"{page}/series", preview="1", **form)
    stored_after_preview = db_session.scalar(select(func.count(SessionDate.id)))
    added = post_form(client, f"{page}/series", **form)
    shifted = post_form(client, f"{page}/shift", days="7")

    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "Fête du Travail" in text and "Dates : 4" in text
    assert stored_after_preview == 0
    assert added.status_code == shifted.status_code == 303
    db_session.expire_all()
    starts = db_session.scalars(select(SessionDate.starts_at).order_by(SessionDate.starts_at))
    assert [s.date().isoformat() for s in starts] == [
        "2030-04-24",
        "2030-05-01",
        "2030-05-15",
        "2030-05-22",
    ]
