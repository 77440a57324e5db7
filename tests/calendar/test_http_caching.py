"""Feeds answer as subscribed calendars expect: validators, 304s, caching, HEAD, and one
build per version of the data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.calendar.operations import PublicFeed
from shared.domain.schedule import change_date_time
from shared.ical import date_uid
from tests.calendar.ics import events


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """The keys of the public feeds built during the test."""
    built: list[str] = []
    original = PublicFeed.build

    def counting_build(feed, session, context):
        built.append(feed.key)
        return original(feed, session, context)

    monkeypatch.setattr(PublicFeed, "build", counting_build)
    return built


def test_feed_has_strong_etag_last_modified_and_cache_control(client, make):
    group = make.group()

    response = client.get(f"/feeds/events/{group.event.slug}.ics")

    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"')
    assert not response.headers["ETag"].startswith("W/")
    assert response.last_modified is not None
    assert response.cache_control.public
    assert response.cache_control.max_age == 900


def test_matching_etag_gets_304_without_a_body(client, make):
    group = make.group()
    path = f"/feeds/towns/{group.town_slug}.ics"
    etag = client.get(path).headers["ETag"]

    response = client.get(path, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert response.cache_control.max_age == 900


def test_unchanged_since_last_modified_gets_304(client, make):
    group = make.group()
    path = f"/sessions/{group.id}.ics"
    last_modified = client.get(path).headers["Last-Modified"]

    response = client.get(path, headers={"If-Modified-Since": last_modified})

    assert response.status_code == 304
    assert response.data == b""


def test_stale_etag_gets_the_full_feed_even_with_a_recent_date(client, make):
    group = make.group()
    path = f"/sessions/{group.id}.ics"
    last_modified = client.get(path).headers["Last-Modified"]

    response = client.get(
        path, headers={"If-None-Match": '"old"', "If-Modified-Since": last_modified}
    )

    assert response.status_code == 200
    assert b"BEGIN:VCALENDAR" in response.data


def test_edit_gives_a_new_etag_and_the_new_content(client, make, db_session):
    group = make.group()
    path = f"/feeds/events/{group.event.slug}.ics"
    first = client.get(path)
    session_date = group.dates[0]
    later = session_date.starts_at + timedelta(hours=1)

    change_date_time(db_session, session_date, later, session_date.ends_at)
    db_session.commit()
    second = client.get(path, headers={"If-None-Match": first.headers["ETag"]})

    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    assert events(second.data)[date_uid(session_date)]["dtstart"].dt == later


def test_new_registration_changes_the_seats_shown(client, make):
    group = make.group(capacity=20)
    path = f"/sessions/{group.id}.ics"
    first = client.get(path)

    make.registration(group)
    second = client.get(path, headers={"If-None-Match": first.headers["ETag"]})

    assert second.status_code == 200
    assert "19 places restantes" in events(second.data)[date_uid(group.dates[0])]["description"]


def test_feed_is_built_once_per_version_of_its_data(client, make, builds):
    group = make.group()
    path = f"/feeds/towns/{group.town_slug}.ics"

    bodies = {client.get(path).data for _ in range(3)}
    make.registration(group)
    client.get(path)
    client.get(path)

    assert len(bodies) == 1
    assert builds == [f"town:{group.town_slug}", f"town:{group.town_slug}"]


def test_each_language_is_cached_apart(client, make):
    group = make.group(make.event(title={"fr": "Atelier", "en": "Workshop"}))
    path = f"/sessions/{group.id}.ics"

    french = client.get(path + "?lang=fr")
    english = client.get(path + "?lang=en")

    assert b"SUMMARY:Atelier" in french.data
    assert b"SUMMARY:Workshop" in english.data
    assert french.headers["Vary"] == "Accept-Language, Cookie"


def test_head_answers_the_headers_of_get_without_a_body(client, make):
    group = make.group()
    path = f"/feeds/events/{group.event.slug}.ics"
    full = client.get(path)

    response = client.head(path)

    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["ETag"] == full.headers["ETag"]
    assert response.headers["Content-Length"] == str(len(full.data))
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
