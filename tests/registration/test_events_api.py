"""GET /api/v1/events and /api/v1/events/<slug>: groups, dates and availability."""

from tests.support.factories import local


def test_event_lists_groups_with_seats_and_dates_with_offsets(client, make):
    event = make.event(slug="atelier")
    group = make.group(
        event,
        slug="jambes",
        capacity=20,
        dates=[
            (local("2030-10-01T09:30"), local("2030-10-01T16:00")),
            (local("2030-11-05T09:30"), local("2030-11-05T16:00")),
        ],
    )
    make.registration(group)

    response = client.get("/api/v1/events/atelier")

    assert response.status_code == 200
    [listed] = response.json["groups"]
    assert listed["slug"] == "jambes"
    assert listed["town_slug"] == "jambes"
    assert listed["capacity"] == 20
    assert listed["seats_left"] == 19
    assert listed["waitlist_length"] == 0
    assert [d["start"] for d in listed["dates"]] == [
        "2030-10-01T09:30:00+02:00",
        "2030-11-05T09:30:00+01:00",
    ]


def test_event_title_follows_accept_language(client, make):
    make.event(slug="atelier", title={"fr": "Atelier", "en": "Workshop", "uk": "Семінар"})

    titles = {
        lang: client.get("/api/v1/events/atelier", headers={"Accept-Language": lang}).json["title"]
        for lang in ("fr", "en", "uk")
    }

    assert titles == {"fr": "Atelier", "en": "Workshop", "uk": "Семінар"}


def test_events_filter_by_town(client, make):
    make.group(make.event(slug="in-liege"), town_slug="liege")
    make.group(make.event(slug="in-jambes"), town_slug="jambes")

    response = client.get("/api/v1/events?town=liege")

    assert [e["slug"] for e in response.json] == ["in-liege"]


def test_unknown_event_is_404_in_the_shared_error_shape(client, db_session):
    response = client.get("/api/v1/events/nope", headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert response.json == {
        "code": "not_found",
        "status": 404,
        "message": "This resource does not exist.",
    }
