"""What a participant and the public API are shown as years of events accumulate: coming and
ongoing sessions, soonest first, a page at a time; past events in an archive by year; and as
many database statements for 10 events as for 500."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest

from shared.database import utcnow
from shared.domain import listing
from shared.i18n import BRUSSELS
from shared.models import AttendanceRule, Event, EventKind, Group, SessionDate
from tests.support.databases import data_statements
from tests.support.factories import local


def days_from_now(days: float, hours: float = 3) -> list[tuple]:
    """One date starting ``days`` from now and lasting ``hours``."""
    start = utcnow() + timedelta(days=days)
    return [(start, start + timedelta(hours=hours))]


def slugs(response) -> list[str]:
    return [event["slug"] for event in response.json]


def next_link(response) -> str | None:
    match = re.fullmatch(r'<([^>]*)>; rel="next"', response.headers.get("Link", ""))
    return match.group(1) if match else None


def add_events(session, count: int, first: int = 0) -> None:
    """``count`` events of one group and two dates each, half of them held long ago."""
    now = utcnow()
    for n in range(first, first + count):
        offset = timedelta(days=10 + n % 50) * (1 if n % 2 else -20)
        event = Event(
            slug=f"many-{n}",
            title={"fr": f"Formation {n}"},
            kind=EventKind.WORKSHOP,
            attendance_rule=AttendanceRule.ALL_DATES,
        )
        group = Group(
            event=event,
            slug="g",
            name="Groupe",
            venue_name="DICS",
            street_address="rue 1",
            postcode="5000",
            town="Namur",
            town_slug="namur",
            capacity=20,
        )
        for week in (0, 1):
            start = now + offset + timedelta(weeks=week)
            group.dates.append(SessionDate(starts_at=start, ends_at=start + timedelta(hours=3)))
        session.add(event)
    session.commit()


# The public API


def test_the_api_lists_coming_and_ongoing_events_soonest_first(client, make):
    make.group(make.event(slug="later"), dates=days_from_now(20))
    make.group(make.event(slug="past"), dates=days_from_now(-20))
    make.group(make.event(slug="sooner"), dates=days_from_now(3))
    make.group(make.event(slug="under-way"), dates=days_from_now(-5) + days_from_now(9))
    make.group(make.event(slug="right-now"), dates=days_from_now(-0.05))

    response = client.get("/api/v1/events")

    assert response.status_code == 200
    # An event under way is listed by its next date; a date going on now comes first.
    assert slugs(response) == ["right-now", "sooner", "under-way", "later"]
    assert "Link" not in response.headers
    assert json.loads(response.headers["X-Pagination"]) == {"next": None}


def test_upcoming_false_lists_every_event_by_its_first_date(client, make):
    make.group(make.event(slug="coming"), dates=days_from_now(3))
    make.group(make.event(slug="past"), dates=days_from_now(-20))

    assert slugs(client.get("/api/v1/events?upcoming=false")) == ["past", "coming"]


def test_the_api_pages_by_cursor_with_a_link_to_the_next_page(client, make):
    for n in range(5):
        make.group(make.event(slug=f"e{n}"), dates=days_from_now(n + 1))

    first = client.get("/api/v1/events?limit=2&kind=workshop")
    second = client.get(next_link(first))
    third = client.get(next_link(second))

    assert [slugs(first), slugs(second), slugs(third)] == [["e0", "e1"], ["e2", "e3"], ["e4"]]
    assert "kind=workshop" in next_link(first)
    cursor = json.loads(first.headers["X-Pagination"])["next"]
    assert slugs(client.get(f"/api/v1/events?limit=2&cursor={cursor}")) == ["e2", "e3"]
    assert next_link(third) is None


def test_each_event_is_listed_once_by_its_first_date_across_pages(client, make):
    start = utcnow() + timedelta(days=3)
    both = [(start, start + timedelta(hours=2))]
    make.group(make.event(slug="tied-a"), dates=both)
    make.group(make.event(slug="tied-b"), dates=both)
    two_groups = make.event(slug="two-groups")
    make.group(two_groups, dates=days_from_now(8) + days_from_now(9))
    make.group(two_groups, dates=days_from_now(2) + days_from_now(10))
    same_start = make.event(slug="same-start")
    make.group(same_start, dates=days_from_now(5))
    make.group(same_start, dates=[(d.starts_at, d.ends_at) for d in same_start.groups[0].dates])
    office = make.event(slug="office", kind=EventKind.DROP_IN)
    weekly = make.group(office, capacity=None, dates=days_from_now(-60))
    weekly.dates[0].recurrence_rule = "FREQ=WEEKLY;BYDAY=WE"
    make.session.commit()

    pages, url = [], "/api/v1/events?limit=2"
    while url:
        response = client.get(url)
        pages.append(slugs(response))
        url = next_link(response)

    # Office hours began long ago; events sharing a start follow their creation.
    assert pages == [["office", "two-groups"], ["tied-a", "tied-b"], ["same-start"]]


def test_a_page_holds_fifty_events_unless_asked(client, db_session):
    add_events(db_session, 120)

    assert len(client.get("/api/v1/events").json) == 50
    assert len(client.get("/api/v1/events?limit=100&upcoming=false").json) == 100


@pytest.mark.parametrize("limit", ["0", "101", "many"])
def test_a_limit_out_of_range_is_refused_on_its_field(client, limit):
    response = client.get(f"/api/v1/events?limit={limit}", headers={"Accept-Language": "en"})

    assert response.status_code == 422
    assert response.json["code"] == "unprocessable_entity"
    assert list(response.json["errors"]) == ["limit"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        base64.urlsafe_b64encode(b'["2030-01-01T00:00:00", 3]').decode(),  # no offset
        base64.urlsafe_b64encode(b'["2030-01-01T00:00:00+00:00", "3"]').decode(),
        base64.urlsafe_b64encode(b'["2030-01-01T00:00:00+00:00"]').decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        "A" * 500,
    ],
)
def test_a_malformed_cursor_is_refused_on_its_field(client, cursor):
    response = client.get(f"/api/v1/events?cursor={cursor}", headers={"Accept-Language": "en"})

    assert response.status_code == 422
    assert response.json["errors"] == {
        "cursor": ["This cursor is not valid: follow the previous page's link again."]
    }


def test_the_api_filters_by_days_town_and_kind(client, make):
    make.group(
        make.event(slug="march"), dates=[(local("2031-03-10T09:30"), local("2031-03-10T12:00"))]
    )
    make.group(
        make.event(slug="april"), dates=[(local("2031-04-01T00:30"), local("2031-04-01T02:00"))]
    )
    make.group(make.event(slug="namur"), town_slug="namur")
    make.group(make.event(slug="session", kind=EventKind.INFORMATION_SESSION))

    march = client.get("/api/v1/events?from=2031-03-01&to=2031-03-31")
    namur = client.get("/api/v1/events?town=namur")
    sessions = client.get("/api/v1/events?kind=information_session")
    backwards = client.get("/api/v1/events?from=2031-03-02&to=2031-03-01")

    assert [slugs(march), slugs(namur), slugs(sessions)] == [["march"], ["namur"], ["session"]]
    assert backwards.status_code == 422
    assert list(backwards.json["errors"]) == ["to"]


def test_the_openapi_documents_the_page_arguments_and_headers(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/events"]["get"]

    arguments = {p["name"]: p for p in operation["parameters"]}
    assert {"limit", "cursor", "from", "to", "town", "kind", "upcoming"} <= set(arguments)
    assert arguments["limit"]["schema"]["maximum"] == 100
    assert {"Link", "X-Pagination"} <= set(operation["responses"]["200"]["headers"])


# The sessions page and its archive


def test_the_page_shows_twenty_coming_events_then_more_by_link(client, make):
    for n in range(21):
        make.group(make.event(slug=f"e{n:02}"), dates=days_from_now(n + 1))
    make.group(make.event(slug="over"), dates=days_from_now(-3))

    first = client.get("/").text
    more = re.search(r'<a class="button button--secondary" href="([^"]+)" rel="next">', first)
    second = client.get(more.group(1).replace("&amp;", "&")).text

    assert "/events/e19" in first and "/events/e20" not in first and "/events/over" not in first
    assert "/events/e20" in second and "/events/e19" not in second
    assert 'rel="next"' not in second


def test_the_filters_are_links_that_keep_each_other(client, make):
    make.group(
        make.event(slug="soon-namur"), town="Namur", town_slug="namur", dates=days_from_now(2)
    )
    make.group(make.event(slug="soon-jambes"), dates=days_from_now(2))
    make.group(
        make.event(slug="later-namur"), town="Namur", town_slug="namur", dates=days_from_now(70)
    )
    month = (utcnow() + timedelta(days=70)).astimezone(BRUSSELS).strftime("%Y-%m")

    home = client.get("/").text
    namur = client.get("/?town=namur").text
    later = client.get(f"/?town=namur&month={month}").text

    assert 'href="/?town=namur"' in home and "<form" not in home.split("<main")[-1]
    assert f'href="/?town=namur&amp;month={month}"' in namur
    assert "/events/soon-namur" in namur and "/events/soon-jambes" not in namur
    assert "/events/later-namur" in later and "/events/soon-namur" not in later


def test_the_filter_names_the_towns_with_a_coming_public_date(make, db_session):
    def town(name: str, event=None, **fields) -> Group:
        slug = name.lower()
        return make.group(event or make.event(), town=name, town_slug=slug, **fields)

    town("Namur", dates=days_from_now(-40))
    town("Namur", dates=days_from_now(4))
    town("Liège", dates=days_from_now(-40) + days_from_now(-33))
    town("Arlon", make.event(published=False), dates=days_from_now(4))
    town("Huy", dates=days_from_now(4)).cancelled_at = utcnow()
    town("Ath", dates=days_from_now(4)).dates[0].cancelled_at = utcnow()
    town("Jambes", dates=days_from_now(-0.05))  # under way
    town("Dinant", dates=days_from_now(-90)).dates[0].recurrence_rule = "FREQ=WEEKLY"
    db_session.commit()

    towns = listing.coming_towns(db_session, utcnow())

    assert towns == [("dinant", "Dinant"), ("jambes", "Jambes"), ("namur", "Namur")]


def test_a_drop_in_series_shows_once_with_its_next_date(client, make):
    event = make.event(
        slug="permanence",
        kind=EventKind.DROP_IN,
        attendance_rule=AttendanceRule.NO_REGISTRATION,
    )
    group = make.group(
        event, capacity=None, dates=[(local("2024-01-03T09:30"), local("2024-01-03T12:00"))]
    )
    group.dates[0].recurrence_rule = "FREQ=WEEKLY;BYDAY=WE"
    make.session.commit()

    page = client.get("/").text

    assert page.count('href="/events/permanence"') == 2  # its title and its details link
    assert page.count("Prochaine séance :") == 1
    assert "mercredi" in page.split("Prochaine séance :")[1].split("</p>")[0]


def test_past_events_are_in_the_archive_by_year(client, make):
    make.group(
        make.event(slug="in-2023"), dates=[(local("2023-05-02T09:30"), local("2023-05-02T16:00"))]
    )
    make.group(
        make.event(slug="in-2024"), dates=[(local("2024-05-02T09:30"), local("2024-05-02T16:00"))]
    )
    make.group(make.event(slug="coming"), dates=days_from_now(5))

    home = client.get("/").text
    archive = client.get("/archive").text
    year_2023 = client.get("/archive/2023").text

    assert 'href="/archive"' in home and "/events/in-2024" not in home
    assert "/events/in-2024" in archive and "/events/in-2023" not in archive
    assert 'href="/archive/2023"' in archive
    assert "/events/in-2023" in year_2023 and "/events/coming" not in year_2023
    assert client.get("/archive/0").status_code == 404


def test_the_archive_pages_a_year_latest_first(client, make):
    for day in range(1, 23):
        start = local(f"2024-03-{day:02}T09:30")
        make.group(make.event(slug=f"m{day:02}"), dates=[(start, start + timedelta(hours=2))])

    first = client.get("/archive/2024").text
    more = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(more).text

    assert first.index("/events/m22") < first.index("/events/m21")
    assert "/events/m03" in first and "/events/m02" not in first
    assert "/events/m02" in second and "/events/m01" in second and 'rel="next"' not in second


# No statement per event


def statements_of(app, client, path: str) -> int:
    response, run = data_statements(app.extensions["database"].engine, lambda: client.get(path))
    assert response.status_code == 200
    return len(run)


@pytest.mark.parametrize(
    "path", ["/", "/archive", "/api/v1/events", "/api/v1/events?upcoming=false"]
)
def test_as_many_statements_for_500_events_as_for_10(app, client, db_session, path):
    add_events(db_session, 10)
    few = statements_of(app, client, path)
    add_events(db_session, 490, first=10)

    assert statements_of(app, client, path) == few
