"""A draft event's dates are in no feed, and its own feeds answer 404, until it is published."""

from __future__ import annotations

from shared.ical import date_uid
from tests.calendar.ics import events


def test_a_drafts_dates_are_in_no_feed(client, make):
    event = make.event(published=False)
    group = make.group(event)
    make.group(make.event())

    assert client.get(f"/feeds/events/{event.slug}.ics").status_code == 404
    assert client.get(f"/sessions/{group.id}.ics").status_code == 404
    assert date_uid(group.dates[0]) not in events(client.get("/feeds/all.ics").data)
    assert f"/feeds/events/{event.slug}.ics" not in client.get("/").get_data(as_text=True)


def test_a_published_drafts_dates_appear_in_the_feeds(client, make):
    event = make.event(published=False)
    group = make.group(event)
    client.get("/feeds/all.ics")
    event.published = True
    make.session.commit()

    assert client.get(f"/feeds/events/{event.slug}.ics").status_code == 200
    assert date_uid(group.dates[0]) in events(client.get("/feeds/all.ics").data)
