"""The planning and a series' clash check cost a constant number of SQL statements, however
many dates they cover: the planning of a month at most five (its token, its dates with every
figure, the dates around them and the trainers' unavailabilities), a series preview as many
for fifty dates as for one. Raising a budget is a decision, made here."""

from __future__ import annotations

from datetime import timedelta

from shared.models import Attendance, AttendanceRule, Trainer, TrainerUnavailability
from tests.support.databases import data_statements
from tests.support.factories import local

PLANNING_BUDGET = 5
MONTH = "/api/v1/planning?from=2030-03-01&to=2030-03-31"


def statements_of(app, request) -> list[str]:
    """The SQL statements one call of ``request`` runs, after one call to warm up (a token
    first used records when)."""
    request()
    response, run = data_statements(app.extensions["database"].engine, request)
    assert response.status_code == 200, response.json
    return run


def weekly(first: str, count: int, hours: tuple[str, str] = ("09:30", "12:00")):
    """``count`` dates a week apart from the day ``first``, at ``hours``."""
    start = local(f"{first}T{hours[0]}")
    end = local(f"{first}T{hours[1]}")
    return [(start + timedelta(weeks=n), end + timedelta(weeks=n)) for n in range(count)]


def busy_place(make):
    """A room in a venue, and two trainers."""
    room = make.room(capacity=40)
    return room, [
        Trainer(name="Nadia Haddad", email="n@example.org"),
        Trainer(name="Ali", email="a@example.org"),
    ]


def test_the_planning_of_a_month_runs_at_most_five_statements_whatever_its_dates(
    app, client, accounts, make, db_session
):
    room, trainers = busy_place(make)
    event = make.event()
    chosen = make.event(attendance_rule=AttendanceRule.ONE_DATE)
    first = make.group(event, dates=weekly("2030-03-04", 1), room=room, venue=room.venue)
    first.trainers = trainers
    make.group(chosen, dates=weekly("2030-03-04", 1, ("10:00", "11:00")), room=room)
    db_session.add(
        TrainerUnavailability(
            trainer=trainers[0],
            starts_at=local("2030-03-04T08:00"),
            ends_at=local("2030-03-04T18:00"),
        )
    )
    person = make.registration(first)
    db_session.add(Attendance(registration=person, session_date=first.dates[0], present=True))
    account = accounts(event, chosen)
    db_session.commit()

    def plan():
        return client.get(MONTH, headers=account.bearer)

    few = statements_of(app, plan)
    rows = plan().json
    more = make.group(event, dates=weekly("2030-03-05", 4), room=room)
    more.trainers = trainers[1:]
    for day in range(6, 26):
        make.group(
            chosen, dates=[(local(f"2030-03-{day:02}T14:00"), local(f"2030-03-{day:02}T16:00"))]
        )
    db_session.commit()
    many = statements_of(app, plan)

    assert [len(r["clashes"]) > 0 for r in rows] == [True, True]
    assert len(plan().json) == 2 + 4 + 20
    assert len(few) == len(many) <= PLANNING_BUDGET


def test_a_series_preview_runs_as_many_statements_for_many_dates_as_for_one(
    app, client, accounts, make, db_session
):
    room, trainers = busy_place(make)
    group = make.group(dates=[], room=room, venue=room.venue)
    group.trainers = trainers
    # Another group in the same room every week, one with a trainer in another town.
    make.group(dates=weekly("2030-04-03", 50), room=room)
    elsewhere = make.group(
        dates=weekly("2030-04-03", 50, ("13:00", "14:00")), town="Liège", town_slug="liege"
    )
    elsewhere.trainers = trainers[:1]
    account = accounts(group.event)
    db_session.commit()
    url = f"/api/v1/events/{group.event.slug}/groups/{group.slug}/series"

    def preview(count: int):
        rule = {
            "weekdays": ["WE"],
            "first_day": "2030-04-03",
            "count": count,
            "start_time": "09:30",
            "end_time": "12:30",
            "skip_holidays": False,
            "preview": True,
        }
        return lambda: client.post(url, json=rule, headers=account.bearer)

    one = statements_of(app, preview(1))
    fifty = statements_of(app, preview(50))
    # Beyond a hundred slots, SQLite reads the dates over the whole range at once.
    most = statements_of(app, preview(200))

    assert len(preview(50)().json["clashes"]) == len(preview(200)().json["clashes"]) == 50 * 2
    assert len(one) == len(fifty) == len(most)
