"""What the feeds say: valid iCalendar read by two parsers, times in Brussels with a correct
VTIMEZONE, locations, links, descriptions, the recurring office hours, folding and escaping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import recurring_ical_events
from sqlalchemy import select

from services.registration.demo import load_events
from shared.i18n import BRUSSELS
from shared.ical import BRUSSELS_VTIMEZONE, date_uid, group_invitation
from shared.models import Group
from tests.calendar.conftest import REGISTRATION_BASE_URL
from tests.calendar.ics import events, parse, utc, vobject_times_utc
from tests.support.factories import local

WORKSHOP = "pratiquer-action-evaluation-experimentalistes"


def seed_with_original_dates(db_session) -> dict[str, Group]:
    load_events(db_session)
    db_session.commit()
    return {group.town_slug: group for group in db_session.scalars(select(Group))}


def test_workshop_dates_are_utc_correct_on_both_sides_of_the_october_change(client, db_session):
    groups = seed_with_original_dates(db_session)

    body = client.get(f"/feeds/events/{WORKSHOP}.ics").data

    jambes = [date_uid(d) for d in groups["jambes"].dates]
    court = [date_uid(d) for d in groups["court-saint-etienne"].dates]
    for times in (_icalendar_times_utc(body), vobject_times_utc(body)):
        assert [times[uid] for uid in jambes] == [
            (utc("2023-10-03T07:30"), utc("2023-10-03T14:00")),
            (utc("2023-10-17T07:30"), utc("2023-10-17T14:00")),
        ]
        assert [times[uid] for uid in court] == [
            (utc("2023-11-07T08:30"), utc("2023-11-07T15:00")),
            (utc("2023-11-14T08:30"), utc("2023-11-14T15:00")),
        ]


def test_times_carry_the_brussels_tzid_with_its_vtimezone_never_floating(client, db_session):
    seed_with_original_dates(db_session)

    body = client.get(f"/feeds/events/{WORKSHOP}.ics").data
    calendar = parse(body)

    [timezone] = calendar.walk("VTIMEZONE")
    assert timezone["tzid"] == "Europe/Brussels"
    text = body.decode()
    assert "DTSTART;TZID=Europe/Brussels:20231003T093000" in text
    assert "DTSTART;TZID=Europe/Brussels:20231107T093000" in text
    for event in calendar.walk("VEVENT"):
        assert event["dtstart"].dt.tzinfo is not None
        assert event["dtend"].dt.tzinfo is not None
        assert event["dtstamp"].dt.utcoffset() == timedelta(0)


def test_vtimezone_matches_the_brussels_rules_from_1996_to_2037():
    defined = icalendar.Timezone.from_ical(BRUSSELS_VTIMEZONE).to_tz(lookup_tzid=False)
    moment = datetime(1996, 1, 1, 12)
    while moment.year < 2038:
        assert moment.replace(tzinfo=defined).utcoffset() == (
            moment.replace(tzinfo=BRUSSELS).utcoffset()
        ), moment
        moment += timedelta(days=1)


def test_office_hours_are_one_weekly_event_without_the_closures(client, db_session):
    seed_with_original_dates(db_session)

    body = client.get("/feeds/events/permanences-isp.ics").data
    calendar = parse(body)

    [office_hours] = calendar.walk("VEVENT")
    assert office_hours["rrule"]["freq"] == ["WEEKLY"]
    assert office_hours["rrule"]["byday"] == ["WE"]
    occurrences = recurring_ical_events.of(calendar).between(date(2023, 9, 1), date(2024, 1, 1))
    days = [occurrence["dtstart"].dt.date() for occurrence in occurrences]
    assert date(2023, 9, 20) in days
    assert date(2023, 11, 1) not in days
    assert date(2023, 12, 27) not in days
    assert len(days) == 15 - 2
    for occurrence in occurrences:
        start, end = occurrence["dtstart"].dt, occurrence["dtend"].dt
        assert start.weekday() == 2
        assert (start.astimezone(BRUSSELS).time(), end.astimezone(BRUSSELS).time()) == (
            datetime(2000, 1, 1, 9, 30).time(),
            datetime(2000, 1, 1, 12).time(),
        )
    by_day = {o["dtstart"].dt.date(): o["dtstart"].dt.astimezone(BRUSSELS) for o in occurrences}
    assert by_day[date(2023, 10, 25)].utcoffset() == timedelta(hours=2)
    assert by_day[date(2023, 11, 8)].utcoffset() == timedelta(hours=1)


def test_session_describes_place_link_prerequisites_seats_and_kind(client, make):
    event = make.event(slug="atelier-namur", prerequisites={"fr": "Français oral A2"})
    group = make.group(
        event,
        venue_name="DICS",
        street_address="avenue Gouverneur Bovesse 100",
        postcode="5100",
        town="Jambes",
        latitude=50.4556,
        longitude=4.8786,
        capacity=20,
    )
    make.registration(group)

    vevent = events(client.get(f"/sessions/{group.id}.ics").data)[date_uid(group.dates[0])]

    assert str(vevent["location"]) == "DICS, avenue Gouverneur Bovesse 100, 5100 Jambes"
    assert (vevent["geo"].latitude, vevent["geo"].longitude) == (50.4556, 4.8786)
    assert str(vevent["url"]) == f"{REGISTRATION_BASE_URL}/events/atelier-namur"
    assert "Prérequis : Français oral A2" in vevent["description"]
    assert "19 places restantes" in vevent["description"]
    assert vevent["categories"].cats == ["Atelier de formation"]
    assert vevent["status"] == "CONFIRMED"
    assert vevent["sequence"] == 0
    assert vevent["last-modified"].dt >= vevent["created"].dt


def test_feed_names_itself_and_says_how_often_to_refresh(client, make):
    make.group(town="Liège", town_slug="liege")

    calendar = parse(client.get("/feeds/towns/liege.ics").data)

    assert calendar["name"] == "Séances à Liège"
    assert calendar["x-wr-calname"] == "Séances à Liège"
    assert calendar["x-wr-timezone"] == "Europe/Brussels"
    assert calendar["refresh-interval"].dt == timedelta(hours=1)
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert calendar["x-published-ttl"] == "PT1H"


def test_feed_speaks_the_requested_language(client, make):
    group = make.group(make.event(title={"fr": "Atelier", "uk": "Семінар"}))

    body = client.get(f"/sessions/{group.id}.ics?lang=uk").data

    [vevent] = list(events(body).values())[:1]
    assert vevent["summary"].startswith("Семінар — ")
    assert "Передумови" in vevent["description"]


def test_lines_are_folded_at_75_octets_with_crlf_and_text_is_escaped(client, make):
    title = "Café, théâtre; « ligne\\oblique » — Практика експериментальної дії та оцінювання"
    description = "Première ligne, avec virgule\nДруга лінія; з крапкою з комою"
    event = make.event(title={"fr": title}, description={"fr": description})
    group = make.group(event, name="Ліж; é")

    body = client.get(f"/sessions/{group.id}.ics").data

    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    assert all(line.decode("utf-8") for line in lines)  # no character split across lines
    assert any(len(line) > 70 for line in lines)
    unfolded = body.replace(b"\r\n ", b"").decode()
    assert "Café\\, théâtre\\; « ligne\\\\oblique »" in unfolded
    assert "Première ligne\\, avec virgule\\nДруга лінія\\; з крапкою з комою" in unfolded
    vevent = events(body)[date_uid(group.dates[0])]
    assert vevent["summary"] == f"{title} — Ліж; é"
    assert description in vevent["description"]


def test_a_line_break_in_a_title_or_name_is_escaped_in_every_feed(client, make):
    event = make.event(slug="sauts", title={"fr": "Deux\nlignes"})
    group = make.group(event, name="Groupe\r\nbis", town="Namur", town_slug="namur")

    answers = {
        path: client.get(path)
        for path in (f"/sessions/{group.id}.ics", "/feeds/events/sauts.ics", "/feeds/all.ics")
    }

    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(answers, 200)
    calendar = parse(answers[f"/sessions/{group.id}.ics"].data)
    # TEXT escapes a line break as a backslash and n (a CR LF becomes one line break).
    assert calendar["name"] == "Deux\\nlignes — Groupe\\nbis"
    assert calendar["x-wr-calname"] == calendar["name"]
    assert parse(answers["/feeds/events/sauts.ics"].data)["x-wr-calname"].startswith(
        "Deux\\nlignes"
    )


def test_open_feeds_keep_upcoming_and_recent_sessions_only(client, make):
    event = make.event()
    long_ago = make.group(event, dates=[(local("2020-03-03T09:30"), local("2020-03-03T16:00"))])
    last_week = local((datetime.now(BRUSSELS) - timedelta(days=7)).strftime("%Y-%m-%dT09:30"))
    recent = make.group(event, dates=[(last_week, last_week + timedelta(hours=6))])
    upcoming = make.group(event)

    uids = set(events(client.get("/feeds/all.ics").data))

    assert date_uid(long_ago.dates[0]) not in uids
    assert date_uid(recent.dates[0]) in uids
    assert {date_uid(d) for d in upcoming.dates} <= uids
    event_uids = set(events(client.get(f"/feeds/events/{event.slug}.ics").data))
    assert date_uid(long_ago.dates[0]) in event_uids


def test_open_feeds_keep_ninety_days_of_past_not_all_history(client, make):
    def days_ago(days: int) -> list[tuple[datetime, datetime]]:
        start = local((datetime.now(BRUSSELS) - timedelta(days=days)).strftime("%Y-%m-%dT09:30"))
        return [(start, start + timedelta(hours=6))]

    event = make.event()
    kept = make.group(event, town_slug="namur", dates=days_ago(80))
    dropped = make.group(event, town_slug="namur", dates=days_ago(100))

    for path in ("/feeds/all.ics", "/feeds/towns/namur.ics"):
        uids = set(events(client.get(path).data))
        assert date_uid(kept.dates[0]) in uids, path
        assert date_uid(dropped.dates[0]) not in uids, path


def test_unknown_town_event_and_group_are_404(client, make):
    make.group()

    for path in ("/feeds/towns/atlantis.ics", "/feeds/events/nope.ics", "/sessions/999999.ics"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json["code"] == "not_found"


def test_group_id_beyond_any_row_is_404_not_a_database_overflow(client):
    response = client.get(f"/sessions/{2**63}.ics")

    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_town_added_later_gets_its_feed(client, make):
    group = make.group(town="Dinant", town_slug="dinant")

    response = client.get("/feeds/towns/dinant.ics")

    assert response.status_code == 200
    assert {date_uid(d) for d in group.dates} == set(events(response.data))


def test_feeds_are_text_calendar_in_utf8(client, make):
    group = make.group()
    event = group.event

    for path in (
        "/feeds/all.ics",
        "/feeds/towns/jambes.ics",
        f"/feeds/events/{event.slug}.ics",
        f"/sessions/{group.id}.ics",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert set(events(response.data)) >= {date_uid(d) for d in group.dates}


def _icalendar_times_utc(body: bytes) -> dict[str, tuple[datetime, datetime]]:
    return {
        uid: (event["dtstart"].dt.astimezone(UTC), event["dtend"].dt.astimezone(UTC))
        for uid, event in events(body).items()
    }


def test_emailed_invitation_describes_the_same_events_as_the_feeds(app, client, make):
    group = make.group()

    with app.app_context():
        invitation = group_invitation(group, language="uk", url="https://example.org/e")
    feed = events(client.get(f"/sessions/{group.id}.ics").data)

    calendar = parse(invitation)
    assert calendar["method"] == "PUBLISH"
    assert {str(e["uid"]) for e in calendar.walk("VEVENT")} == set(feed)
    assert all("Залишилося 20 місць" in e["description"] for e in calendar.walk("VEVENT"))
