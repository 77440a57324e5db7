"""The planning lists every date of an organiser's events in a range, with where it meets,
who runs it, its places, waiting list, presence still to record and clashes; narrowed by
town, venue, trainer or event."""

from __future__ import annotations

from datetime import timedelta

from shared.database import utcnow
from shared.i18n import BRUSSELS
from shared.models import Attendance, Trainer
from tests.organiser.conftest import held_group, log_in, registered_before
from tests.support.factories import local

ENGLISH = {"Accept-Language": "en"}


def test_the_planning_shows_each_date_with_its_place_people_and_clashes(
    client, accounts, make, db_session
):
    room = make.room()
    venue = room.venue
    nadia = Trainer(name="Nadia Haddad", email="nadia@example.org")
    event = make.event()
    first = make.group(
        event,
        capacity=20,
        town="Charleroi",
        town_slug="charleroi",
        dates=[(local("2030-03-05T09:30"), local("2030-03-05T16:00"))],
    )
    second = make.group(
        event,
        town="Liège",
        town_slug="liege",
        dates=[(local("2030-03-05T10:00"), local("2030-03-05T12:00"))],
    )
    first.venue = second.venue = venue
    first.room = second.room = room
    first.trainers = [nadia]
    make.registration(first)
    stranger_event = make.group(dates=[(local("2030-03-06T09:30"), local("2030-03-06T12:00"))])
    account = accounts(event)
    db_session.commit()

    planned = client.get(
        "/api/v1/planning?from=2030-03-01&to=2030-03-31", headers={**account.bearer, **ENGLISH}
    )
    by_trainer = client.get(
        f"/api/v1/planning?from=2030-03-01&to=2030-03-31&trainer={nadia.id}",
        headers=account.bearer,
    )
    by_town = client.get(
        "/api/v1/planning?from=2030-03-01&to=2030-03-31&town=liege", headers=account.bearer
    )

    assert planned.status_code == 200
    rows = planned.json
    assert [r["group"] for r in rows] == [first.slug, second.slug]
    assert stranger_event.slug not in [r["group"] for r in rows]
    head = rows[0]
    assert (head["room"], head["trainers"], head["places_taken"], head["capacity"]) == (
        "Salle 2",
        ["Nadia Haddad"],
        1,
        20,
    )
    assert head["presence_to_record"] is None
    assert [len(r["clashes"]) for r in rows] == [1, 1]
    assert [r["group"] for r in by_trainer.json] == [first.slug]
    assert [r["group"] for r in by_town.json] == [second.slug]


def test_the_planning_tells_the_dates_called_off_with_their_group_or_alone(
    client, accounts, make, db_session
):
    event = make.event()
    days = [local(f"2030-04-0{day}T09:30") for day in (1, 2, 3)]
    held = make.group(event, dates=[(days[0], days[0] + timedelta(hours=2))])
    date_off = make.group(event, dates=[(days[1], days[1] + timedelta(hours=2))])
    group_off = make.group(event, dates=[(days[2], days[2] + timedelta(hours=2))])
    date_off.dates[0].cancelled_at = group_off.cancelled_at = utcnow()
    account = accounts(event)
    db_session.commit()

    rows = client.get("/api/v1/planning?from=2030-04-01&to=2030-04-30", headers=account.bearer)

    assert [(r["group"], r["cancelled"]) for r in rows.json] == [
        (held.slug, False),
        (date_off.slug, True),
        (group_off.slug, True),
    ]


def test_past_dates_show_the_presence_still_to_record(client, accounts, make, db_session):
    group = held_group(make)
    person = registered_before(make, group)
    db_session.add(Attendance(registration=person, session_date=group.dates[0], present=True))
    account = accounts(group.event)
    db_session.commit()
    today = utcnow().astimezone(BRUSSELS).date()

    planned = client.get(
        f"/api/v1/planning?from={today - timedelta(days=10)}&to={today}",
        headers=account.bearer,
    )

    assert [r["presence_to_record"] for r in planned.json] == [0, 1]


def test_a_planning_range_ending_before_it_starts_is_refused(client, accounts):
    account = accounts()

    backwards = client.get(
        "/api/v1/planning?from=2030-03-05&to=2030-03-01", headers={**account.bearer, **ENGLISH}
    )
    no_venue = client.get(
        "/api/v1/planning?from=2030-03-01&to=2030-03-05&venue=0", headers=account.bearer
    )

    assert backwards.json["errors"] == {"to": ["The end must come after the start."]}
    assert (no_venue.status_code, list(no_venue.json["errors"])) == (422, ["venue"])


def test_the_planning_page_lists_the_week_by_day(client, accounts, make, db_session):
    today = utcnow().astimezone(BRUSSELS).date()
    group = make.group(
        dates=[(local(f"{today}T18:00"), local(f"{today}T20:00"))], name="Groupe du soir"
    )
    account = accounts(group.event)
    db_session.commit()
    log_in(client, account)

    week = client.get("/organiser/planning")
    month = client.get("/organiser/planning?view=month&town=nowhere")

    assert week.status_code == 200
    assert "Groupe du soir" in week.get_data(as_text=True)
    assert month.status_code == 200 and "Groupe du soir" not in month.get_data(as_text=True)


def test_the_planning_page_shows_where_who_and_places(client, accounts, make, db_session):
    today = utcnow().astimezone(BRUSSELS).date()
    room = make.room()
    group = make.group(
        capacity=20, dates=[(local(f"{today}T18:00"), local(f"{today}T20:00"))], name="Au soir"
    )
    group.venue, group.room = room.venue, room
    group.trainers = [
        Trainer(name="Nadia Haddad", email="nadia@example.org"),
        Trainer(name="Ada Martin", email="ada@example.org"),
    ]
    make.registration(group)
    account = accounts(group.event)
    db_session.commit()
    log_in(client, account)

    page = client.get("/organiser/planning").get_data(as_text=True)

    assert f"{group.event.title['fr']} — Au soir" in page
    assert "Salle 2" in page and "Ada Martin, Nadia Haddad" in page
    assert "Places prises : 1 / 20" in page
