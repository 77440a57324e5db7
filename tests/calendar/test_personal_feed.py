"""A participant's own feed: their dates and where they stand, by the calendar token only."""

from __future__ import annotations

from shared.domain.registrations import Participant, cancel, register, reissue_token
from shared.ical import date_uid
from shared.models import AttendanceRule, Role
from tests.calendar.ics import events, parse
from tests.support.links import calendar_token, manage_token


def personal_path(registration) -> str:
    return f"/feeds/personal/{calendar_token(registration)}.ics"


def test_confirmed_participant_sees_both_dates_confirmed(client, make):
    group = make.group()
    registration = make.registration(group)

    response = client.get(personal_path(registration))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.cache_control.private
    found = events(response.data)
    assert set(found) == {date_uid(d) for d in group.dates}
    for vevent in found.values():
        assert vevent["status"] == "CONFIRMED"
        assert "(inscription confirmée)" in vevent["summary"]
        assert "Votre inscription : inscription confirmée" in vevent["description"]


def test_personal_feed_follows_the_registration_from_confirmed_to_cancelled(
    client, make, db_session
):
    group = make.group()
    registration = make.registration(group)
    path = personal_path(registration)
    before = client.get(path)

    cancel(db_session, registration)
    db_session.commit()
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})

    assert (before.status_code, after.status_code) == (200, 200)
    assert after.headers["ETag"] != before.headers["ETag"]
    old, new = events(before.data), events(after.data)
    assert set(old) == set(new) == {date_uid(d) for d in group.dates}
    for uid, vevent in new.items():
        assert vevent["status"] == "CANCELLED"
        assert "inscription annulée" in vevent["summary"]
        assert vevent["sequence"] > old[uid]["sequence"]


def test_waitlisted_participant_sees_tentative_dates_with_their_position(client, make):
    group = make.group(capacity=1)
    make.registration(group)
    waiting = make.registration(group)

    response = client.get(personal_path(waiting))

    assert response.status_code == 200
    assert waiting.waitlist_position == 1
    found = events(response.data)
    assert set(found) == {date_uid(d) for d in group.dates}
    for vevent in found.values():
        assert vevent["status"] == "TENTATIVE"
        assert "(liste d'attente, position 1)" in vevent["summary"]


def test_promotion_from_the_waiting_list_confirms_the_dates(client, make, db_session):
    group = make.group(capacity=1)
    first = make.registration(group)
    waiting = make.registration(group)
    path = personal_path(waiting)
    tentative = events(client.get(path).data)

    cancel(db_session, first)
    db_session.commit()
    confirmed = events(client.get(path).data)

    assert set(tentative) == set(confirmed) == {date_uid(d) for d in group.dates}
    assert {vevent["status"] for vevent in tentative.values()} == {"TENTATIVE"}
    for uid, vevent in confirmed.items():
        assert vevent["status"] == "CONFIRMED"
        assert vevent["sequence"] > tentative[uid]["sequence"]


def test_one_date_registration_shows_only_the_chosen_date(client, make, db_session):
    event = make.event(attendance_rule=AttendanceRule.ONE_DATE)
    group = make.group(event)
    chosen = group.dates[1]
    registration = register(
        db_session,
        event,
        group,
        Participant("Ada", "Lovelace", "ada@example.org", Role.RESEARCHER, "fr"),
        commit_all_dates=False,
        date_id=chosen.id,
    )
    db_session.commit()

    assert set(events(client.get(personal_path(registration)).data)) == {date_uid(chosen)}


def test_personal_feed_speaks_the_participants_language(client, make):
    group = make.group()
    registration = make.registration(group, language="uk")

    response = client.get(personal_path(registration))

    assert response.status_code == 200
    calendar = parse(response.data)
    assert str(calendar["x-wr-calname"]).startswith("Мої дати: ")
    summaries = [str(vevent["summary"]) for vevent in calendar.walk("VEVENT")]
    assert len(summaries) == len(group.dates)
    assert all("реєстрацію підтверджено" in summary for summary in summaries)


def test_personal_feed_holds_no_personal_details(client, make):
    registration = make.registration(
        make.group(),
        first_name="Oksana",
        last_name="Kovalenko",
        email="oksana.kovalenko@example.org",
        phone="+32 470 12 34 56",
        organisation="Maison des Ukrainiens",
    )

    response = client.get(personal_path(registration))
    text = response.data.replace(b"\r\n ", b"").decode()

    assert response.status_code == 200
    # The feed itself, not a page without it.
    assert len(events(response.data)) == len(registration.group.dates)
    for detail in ("Oksana", "Kovalenko", "oksana.kovalenko", "470 12 34", "Maison des"):
        assert detail not in text
    assert manage_token(registration) not in text


def test_unknown_token_is_404_revealing_nothing(client, make):
    make.registration(make.group())

    response = client.get("/feeds/personal/not-a-token.ics")

    assert response.status_code == 404
    assert response.json == {
        "code": "not_found",
        "status": 404,
        "message": "Cette ressource n'existe pas.",
    }


def test_manage_token_does_not_open_the_calendar_feed(client, make):
    registration = make.registration(make.group())

    response = client.get(f"/feeds/personal/{manage_token(registration)}.ics")

    assert response.status_code == 404


def test_replaced_calendar_token_is_410_and_the_new_one_works(client, make, db_session):
    registration = make.registration(make.group())
    old = calendar_token(registration)

    reissue_token(db_session, registration, kind="calendar")
    db_session.commit()
    new = calendar_token(registration)

    gone = client.get(f"/feeds/personal/{old}.ics")
    assert gone.status_code == 410
    assert gone.json["code"] == "gone"
    assert client.get(f"/feeds/personal/{new}.ics").status_code == 200


def test_personal_feed_answers_304_while_nothing_changed(client, make):
    registration = make.registration(make.group())
    path = personal_path(registration)
    first = client.get(path)

    by_etag = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert (by_etag.status_code, by_date.status_code) == (304, 304)
