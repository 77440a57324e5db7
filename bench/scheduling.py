"""A season's planning and a series' clash check, in process on PostgreSQL, each beside its
floor: one plain SQL query through psycopg doing the same work.

- ``GET /api/v1/planning`` for a month of a season of 300 groups, 2,000 dates and 40,000
  registrations (presence recorded on the past dates): at most 5 SQL statements, and within
  2× the floor, one query returning the same rows (date, event, group, town, room,
  trainers, places taken of capacity, waiting list, presence still to record, clash flag).
- A 52-date weekly series checked against 5,000 dates (``shared.domain.schedule.clashes``,
  its clashes told as the preview tells them): within 2× the floor, one range query listing
  the same clashes. The whole preview request (``POST .../series``) is shown beside the
  floor too, and must run as many statements for 52 dates as for one.

The data is written by bulk INSERTs (executemany, and INSERT ... SELECT for the presence),
not through the API. Each figure is the best of several
rounds, the product's and the floor's taken in turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import func, insert, select, text

from bench.floor import conninfo
from bench.support import POSTGRES, against_floor, figure, requirement, target
from services.registration import create_app
from services.registration.accounts.auth import issue_token
from shared.database import db, utcnow
from shared.domain.registrations import CONSENT_VERSION
from shared.domain.schedule import DEFAULT_TRAVEL_MIN, clashes
from shared.i18n import BRUSSELS
from shared.models import (
    AttendanceRule,
    Event,
    EventKind,
    Group,
    Organiser,
    Registration,
    RegistrationStatus,
    Role,
    Room,
    SessionDate,
    Trainer,
    TrainerUnavailability,
    Venue,
    event_organisers,
    group_trainers,
)
from tests.support.databases import listening, throwaway_postgres

EVENTS = 30
GROUPS = 300  # 10 per event
DATES = 2_000
REGISTRATIONS = 40_000
SERIES_AGAINST = 5_000  # dates, once the series' year is filled
SERIES_DATES = 52
TOWNS = (("Namur", "namur"), ("Liège", "liege"), ("Charleroi", "charleroi"), ("Mons", "mons"))
VENUES = 20
ROOMS = 40
TRAINERS = 60
CAPACITY = 100
SLOTS = ((9, 30), (13, 30), (18, 0))  # a group's starting time, Brussels wall-clock
MIDNIGHT = datetime.min.time()
ROUNDS = 9
AT_MOST = 2.0  # times the floor's duration
STATEMENTS = 5

# The floor of the planning: the same rows as the API's, in one query. Presence still to
# record once a held date is over: those expected (the group's confirmed participants, or
# those who chose the date) less those marked. A date is flagged when it meets a held date
# of its group or room, a date of one of its trainers (or one in another town less than the
# travel time apart), or a trainer's unavailability.
PLANNING = """
WITH planned AS (
    SELECT d.id, d.starts_at, d.ends_at, d.cancelled_at IS NULL AND g.cancelled_at IS NULL
           AS held, d.group_id, g.room_id, g.town_slug
    FROM session_dates d
    JOIN groups g ON g.id = d.group_id
    WHERE d.starts_at >= %(since)s AND d.starts_at < %(until)s
      AND g.event_id IN (SELECT event_id FROM event_organisers WHERE organiser_id = %(organiser)s)
),
places AS (
    SELECT group_id, count(*) FILTER (WHERE status = 'confirmed') AS taken,
           count(*) FILTER (WHERE status = 'waitlisted') AS waiting
    FROM registrations WHERE group_id IN (SELECT group_id FROM planned) GROUP BY group_id
),
chosen AS (
    SELECT session_date_id, count(*) AS n FROM registrations
    WHERE status = 'confirmed' AND session_date_id IN (SELECT id FROM planned)
    GROUP BY session_date_id
),
marked AS (
    SELECT session_date_id, count(*) AS n FROM attendances
    WHERE session_date_id IN (SELECT id FROM planned) GROUP BY session_date_id
),
around AS (
    SELECT o.id, o.starts_at, o.ends_at, o.group_id, og.room_id, og.town_slug
    FROM session_dates o JOIN groups og ON og.id = o.group_id
    WHERE o.cancelled_at IS NULL AND og.cancelled_at IS NULL
      AND o.starts_at < %(until)s + %(travel)s AND o.ends_at > %(since)s - %(travel)s
),
clashing AS (
    SELECT p.id FROM planned p JOIN around o
      ON o.id <> p.id
         AND o.starts_at < p.ends_at + %(travel)s AND o.ends_at > p.starts_at - %(travel)s
    WHERE p.held AND (
        (o.starts_at < p.ends_at AND o.ends_at > p.starts_at
         AND (o.group_id = p.group_id OR o.room_id = p.room_id))
        OR EXISTS (
            SELECT 1 FROM group_trainers mine JOIN group_trainers theirs
              ON theirs.trainer_id = mine.trainer_id
            WHERE mine.group_id = p.group_id AND theirs.group_id = o.group_id
              AND (o.town_slug <> p.town_slug
                   OR (o.starts_at < p.ends_at AND o.ends_at > p.starts_at))))
    UNION
    SELECT p.id FROM planned p
    JOIN group_trainers gt ON gt.group_id = p.group_id
    JOIN trainer_unavailabilities u ON u.trainer_id = gt.trainer_id
    WHERE p.held AND u.starts_at < p.ends_at AND u.ends_at > p.starts_at
)
SELECT p.id, p.starts_at, p.ends_at, NOT p.held, e.slug, e.title, g.slug, g.name, g.town,
       g.venue_name, r.name,
       ARRAY(SELECT t.name FROM group_trainers gt JOIN trainers t ON t.id = gt.trainer_id
             WHERE gt.group_id = g.id ORDER BY t.name),
       coalesce(pl.taken, 0), g.capacity, coalesce(pl.waiting, 0),
       CASE WHEN p.held AND p.ends_at <= now() AND e.attendance_rule <> 'no_registration' THEN
           greatest(CASE WHEN e.attendance_rule = 'all_dates' THEN coalesce(pl.taken, 0)
                         ELSE coalesce(c.n, 0) END - coalesce(m.n, 0), 0)
       END,
       p.id IN (SELECT id FROM clashing)
FROM planned p
JOIN groups g ON g.id = p.group_id
JOIN events e ON e.id = g.event_id
LEFT JOIN rooms r ON r.id = g.room_id
LEFT JOIN places pl ON pl.group_id = g.id
LEFT JOIN chosen c ON c.session_date_id = p.id
LEFT JOIN marked m ON m.session_date_id = p.id
ORDER BY p.starts_at, p.id
"""

# The floor of a series' check: each proposed slot against the held dates of the same
# group, room or trainers in range, and the trainers' unavailabilities; one row a clash.
SERIES = """
WITH slot AS (
    SELECT * FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[])
        AS s(starts_at, ends_at)
),
other AS (
    SELECT o.id, o.starts_at, o.ends_at, og.id AS group_id, og.room_id, og.town_slug
    FROM session_dates o JOIN groups og ON og.id = o.group_id
    WHERE o.cancelled_at IS NULL AND og.cancelled_at IS NULL
      AND o.starts_at < %(latest)s AND o.ends_at > %(earliest)s
      AND (og.id = %(group)s OR og.room_id = %(room)s
           OR og.id IN (SELECT group_id FROM group_trainers WHERE trainer_id = ANY(%(trainers)s)))
)
SELECT 'group', o.id, o.starts_at FROM slot s JOIN other o
  ON o.group_id = %(group)s AND o.starts_at < s.ends_at AND o.ends_at > s.starts_at
UNION ALL
SELECT 'room', o.id, o.starts_at FROM slot s JOIN other o
  ON o.group_id <> %(group)s AND o.room_id = %(room)s
     AND o.starts_at < s.ends_at AND o.ends_at > s.starts_at
UNION ALL
SELECT CASE WHEN o.starts_at < s.ends_at AND o.ends_at > s.starts_at THEN 'trainer'
            ELSE 'travel' END, o.id, o.starts_at
FROM slot s JOIN other o
  ON o.group_id <> %(group)s
     AND o.starts_at < s.ends_at + %(travel)s AND o.ends_at > s.starts_at - %(travel)s
JOIN group_trainers gt ON gt.group_id = o.group_id AND gt.trainer_id = ANY(%(trainers)s)
WHERE (o.starts_at < s.ends_at AND o.ends_at > s.starts_at) OR o.town_slug <> %(town)s
UNION ALL
SELECT 'unavailable', u.id, u.starts_at FROM slot s JOIN trainer_unavailabilities u
  ON u.trainer_id = ANY(%(trainers)s) AND u.starts_at < s.ends_at AND u.ends_at > s.starts_at
"""


def main() -> None:
    """Print the planning's and the series check's times beside their floors."""
    with throwaway_postgres(POSTGRES) as database_url:
        app = create_app(
            {"DATABASE_URL": database_url, "RATE_LIMITS_ENABLED": False, "SECRET_KEY": "bench"}
        )
        dsn = conninfo(database_url)
        today = utcnow().astimezone(BRUSSELS).date()
        with app.app_context():
            organiser_id, token = season(today)
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
        with psycopg.connect(dsn, autocommit=True) as connection:
            bench_planning(app, connection, headers, organiser_id, today)
            with app.app_context():
                fill_the_year(today)
            bench_series(app, connection, headers, today)


def season(today: date) -> tuple[int, str]:
    """The season, written by bulk INSERTs: venues, rooms, trainers, events and their groups,
    2,000 weekly dates around today, 40,000 registrations, presence on the past dates; and
    an organiser running every event, with an API token."""
    session = db.session
    session.execute(
        insert(Venue),
        [
            {
                "name": f"Centre {v}",
                "street_address": f"rue du Centre {v}",
                "postcode": "5000",
                "town": TOWNS[v % len(TOWNS)][0],
                "town_slug": TOWNS[v % len(TOWNS)][1],
            }
            for v in range(VENUES)
        ],
    )
    venues = session.execute(select(Venue.id, Venue.town, Venue.town_slug).order_by(Venue.id))
    venues = venues.all()
    session.execute(
        insert(Room),
        [
            {"venue_id": venues[r // 2].id, "name": f"Salle {r}", "capacity": CAPACITY}
            for r in range(ROOMS)
        ],
    )
    rooms = session.scalars(select(Room.id).order_by(Room.id)).all()
    session.execute(
        insert(Trainer),
        [{"name": f"Formatrice {t:02}", "email": f"f{t}@example.org"} for t in range(TRAINERS)],
    )
    trainers = session.scalars(select(Trainer.id).order_by(Trainer.id)).all()
    session.execute(
        insert(Event),
        [
            {
                "slug": f"saison-{e}",
                "title": {"fr": f"Formation {e}", "en": f"Training {e}"},
                "kind": EventKind.WORKSHOP,
                # One event in five lets each participant choose one date.
                "attendance_rule": AttendanceRule.ONE_DATE
                if e % 5 == 4
                else AttendanceRule.ALL_DATES,
                "organiser_contact": "formations@example.org",
            }
            for e in range(EVENTS)
        ],
    )
    events = session.execute(select(Event.id, Event.attendance_rule).order_by(Event.id)).all()
    groups_per_event = GROUPS // EVENTS
    rows = []
    for g in range(GROUPS):
        room = g % ROOMS
        venue = venues[room // 2]
        rows.append(
            {
                "event_id": events[g // groups_per_event].id,
                "slug": f"groupe-{g}",
                "name": f"Groupe {g}",
                "position": g % groups_per_event,
                "venue_name": f"Centre {room // 2}",
                "street_address": f"rue du Centre {room // 2}",
                "postcode": "5000",
                "town": venue.town,
                "town_slug": venue.town_slug,
                "capacity": CAPACITY,
                "venue_id": venue.id,
                "room_id": rooms[room],
            }
        )
    session.execute(insert(Group), rows)
    groups = session.scalars(select(Group.id).order_by(Group.id)).all()
    session.execute(
        insert(group_trainers),
        [
            {"group_id": groups[g], "trainer_id": trainers[t]}
            for g in range(GROUPS)
            for t in {g % TRAINERS, (g * 7 + 3) % TRAINERS}
        ],
    )
    # 2,000 weekly dates over the 300 days around today: the first groups meet seven times,
    # the others six.
    dates = []
    for g in range(GROUPS):
        first = today + timedelta(days=(g * 37) % 250 - 150)
        for week in range(DATES // GROUPS + (g < DATES % GROUPS)):
            dates.append(slot_of(groups[g], g, first + timedelta(weeks=week)))
    session.execute(insert(SessionDate), dates)
    organiser = Organiser(email="planning@example.org", password_hash="-")
    session.add(organiser)
    session.flush()
    session.execute(
        insert(event_organisers), [{"event_id": e.id, "organiser_id": organiser.id} for e in events]
    )
    session.execute(
        insert(TrainerUnavailability),
        [
            {
                "trainer_id": trainers[t],
                "starts_at": datetime.combine(
                    today + timedelta(days=t * 5 - 150), MIDNIGHT, BRUSSELS
                ),
                "ends_at": datetime.combine(
                    today + timedelta(days=t * 5 - 148), MIDNIGHT, BRUSSELS
                ),
            }
            for t in range(TRAINERS)
        ],
    )
    session.commit()
    registrations(session, groups)
    _row, token = issue_token(session, organiser)
    session.commit()
    return organiser.id, token


def slot_of(group_id: int, number: int, day: date) -> dict[str, Any]:
    """A date of group ``number`` on ``day`` at its usual hours, two and a half hours."""
    hour, minute = SLOTS[number % len(SLOTS)]
    starts_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS)
    return {
        "group_id": group_id,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2.5),
    }


def registrations(session: Any, groups: list[int]) -> None:
    """40,000 registrations (each group's first 100 confirmed, the rest waiting), a date
    chosen in one-date events, and the presence of four in five on each past date."""
    per_group = REGISTRATIONS // len(groups)
    now = utcnow()
    session.execute(
        insert(Registration),
        [
            {
                "event_id": event_id,
                "group_id": group_id,
                "session_date_id": date_ids[n % len(date_ids)] if rule == "one_date" else None,
                "first_name": "Prénom",
                "last_name": f"Nom {group_id}-{n}",
                "email": f"p{group_id}-{n}@example.org",
                "email_normalized": f"p{group_id}-{n}@example.org",
                "role": Role.FIELD_WORKER,
                "consent_version": CONSENT_VERSION,
                "consented_at": now,
                "status": RegistrationStatus.CONFIRMED
                if n < CAPACITY
                else RegistrationStatus.WAITLISTED,
                "waitlist_position": None if n < CAPACITY else n - CAPACITY + 1,
            }
            for group_id, event_id, rule, date_ids in session.execute(
                text(
                    "SELECT g.id, g.event_id, e.attendance_rule, array_agg(d.id ORDER BY d.id)"
                    " FROM groups g JOIN events e ON e.id = g.event_id"
                    " JOIN session_dates d ON d.group_id = g.id GROUP BY g.id, e.id"
                )
            )
            for n in range(per_group + (groups.index(group_id) < REGISTRATIONS % len(groups)))
        ],
    )
    session.execute(
        text(
            "INSERT INTO attendances (registration_id, session_date_id, present, marked_at)"
            " SELECT r.id, d.id, true, now() FROM session_dates d"
            " JOIN registrations r ON r.group_id = d.group_id AND r.status = 'confirmed'"
            " AND (r.session_date_id IS NULL OR r.session_date_id = d.id)"
            " WHERE d.ends_at < now() AND r.id % 5 <> 0"
        )
    )
    session.commit()
    session.execute(text("ANALYZE"))


def fill_the_year(today: date) -> None:
    """Dates over the coming year, up to 5,000 in all, for the series to meet."""
    session = db.session
    groups = session.scalars(select(Group.id).order_by(Group.id)).all()
    held = session.scalar(select(func.count(SessionDate.id)))
    extra = SERIES_AGAINST - held
    session.execute(
        insert(SessionDate),
        [
            slot_of(
                groups[n % GROUPS], n % GROUPS, today + timedelta(days=(n * 7 + n // GROUPS) % 365)
            )
            for n in range(extra)
        ],
    )
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


def month_before(today: date) -> tuple[date, date]:
    """The calendar month before this one: its dates are over, presence partly recorded."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def bench_planning(
    app: Flask, connection: psycopg.Connection, headers: dict[str, str], organiser: int, today: date
) -> None:
    """The planning of a month through the API beside the floor's one query."""
    since, until = month_before(today)
    client = app.test_client()
    url = f"/api/v1/planning?from={since}&to={until}"
    params = {
        "since": datetime.combine(since, MIDNIGHT, BRUSSELS),
        "until": datetime.combine(until + timedelta(days=1), MIDNIGHT, BRUSSELS),
        "organiser": organiser,
        "travel": timedelta(minutes=DEFAULT_TRAVEL_MIN),
    }
    answers: list[Any] = []

    def ours() -> None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.json
        answers.append(response.json)

    def floor() -> None:
        answers.append(connection.execute(PLANNING, params).fetchall())

    statements = counted(app, ours)
    ours_s, floor_s = best_times(ours, floor)
    api, rows = answers[-2], answers[-1]
    # The floor answers the same rows: dates, places, waiting lists, presence, clashes.
    assert [r["id"] for r in api] == [r[0] for r in rows], "the floor lists other dates"
    assert [
        (r["places_taken"], r["waiting_list"], r["presence_to_record"], bool(r["clashes"]))
        for r in api
    ] == [(r[12], r[14], r[15], r[16]) for r in rows], "the floor counts otherwise"
    print(
        f"planning of {since:%B %Y}: {len(api)} dates, "
        f"{sum(bool(r['clashes']) for r in api)} in a clash",
        flush=True,
    )
    target(
        "GET /api/v1/planning for a month, SQL statements",
        statements,
        "statements",
        at_most=STATEMENTS,
    )
    against_floor(
        f"GET /api/v1/planning for a month of {DATES:,} dates, {REGISTRATIONS:,} registrations "
        "(floor: one SQL query, the same rows)",
        ours_s * 1000,
        floor_s * 1000,
        "ms",
        at_most=AT_MOST,
    )


def bench_series(
    app: Flask, connection: psycopg.Connection, headers: dict[str, str], today: date
) -> None:
    """A 52-date weekly series previewed for a busy group, beside the floor's range query."""
    with app.app_context():
        group = db.session.scalars(select(Group).order_by(Group.id)).first()
        group_id, room, town, slug = group.id, group.room_id, group.town_slug, group.slug
        event = group.event.slug
        trainers = [t.id for t in group.trainers]
        held = db.session.scalar(select(func.count(SessionDate.id)))
    assert held == SERIES_AGAINST, held
    client = app.test_client()
    url = f"/api/v1/events/{event}/groups/{slug}/series"
    first_day = today + timedelta(days=1)
    rule = {
        "weekdays": [("MO", "TU", "WE", "TH", "FR", "SA", "SU")[first_day.weekday()]],
        "first_day": first_day.isoformat(),
        "start_time": "09:00",
        "end_time": "12:00",
        "skip_holidays": False,
        "preview": True,
    }
    starts = [
        datetime.combine(first_day + timedelta(weeks=w), MIDNIGHT.replace(hour=9), BRUSSELS)
        for w in range(SERIES_DATES)
    ]
    ends = [start + timedelta(hours=3) for start in starts]
    travel = timedelta(minutes=DEFAULT_TRAVEL_MIN)
    params = {
        "starts": starts,
        "ends": ends,
        "earliest": starts[0] - travel,
        "latest": ends[-1] + travel,
        "group": group_id,
        "room": room,
        "trainers": trainers,
        "town": town,
        "travel": travel,
    }
    answers: list[Any] = []

    def preview(count: int) -> Callable[[], None]:
        def send() -> None:
            response = client.post(url, json={**rule, "count": count}, headers=headers)
            assert response.status_code == 200, response.json
            answers.append(response.json)

        return send

    def floor() -> None:
        answers.append(connection.execute(SERIES, params).fetchall())

    def check() -> None:
        # The check alone, as the preview runs it: the clashes found and told.
        answers.append([clash.described() for clash in clashes(db.session, group, slots)])

    one = counted(app, preview(1))
    many = counted(app, preview(SERIES_DATES))
    request_s, request_floor_s = best_times(preview(SERIES_DATES), floor)
    api = answers[-2]
    slots = list(zip(starts, ends, strict=True))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        group = db.session.get(Group, group_id)
        checked = best_times(check, floor, before=lambda: fresh(group))
        told, rows = answers[-2], answers[-1]
    assert len(api["dates"]) == SERIES_DATES
    assert len(api["clashes"]) == len(told) == len(rows), (len(api["clashes"]), len(rows))
    print(
        f"series of {SERIES_DATES} dates against {held:,}: {len(rows)} clashes; "
        f"{many} SQL statements (1 date: {one})",
        flush=True,
    )
    requirement(
        f"series preview, SQL statements for {SERIES_DATES} dates beyond those for 1",
        many - one,
        "statements",
    )
    figure(
        f"POST .../series previewing {SERIES_DATES} dates against {held:,} (the whole request)",
        request_s * 1000,
        "ms",
        floor=request_floor_s * 1000,
    )
    against_floor(
        f"clash check of a {SERIES_DATES}-date series against {held:,} dates "
        "(floor: one SQL range query, the same clashes)",
        checked[0] * 1000,
        checked[1] * 1000,
        "ms",
        at_most=AT_MOST,
    )


def fresh(group: Group) -> None:
    """The session emptied but for the group and its trainers, as a request finds them."""
    db.session.expunge_all()
    db.session.add(group)
    db.session.refresh(group)
    group.trainers  # noqa: B018 - loaded before the clock starts, as the request's lookup does


def counted(app: Flask, work: Callable[[], None]) -> int:
    """The SQL statements ``work`` runs, once warmed up."""
    work()
    statements: list[str] = []
    engine = app.extensions["database"].engine
    with listening(engine, "before_cursor_execute", lambda *args: statements.append(args[2])):
        work()
    return len(statements)


def best_times(
    ours: Callable[[], None],
    floor: Callable[[], None],
    *,
    before: Callable[[], None] = lambda: None,
) -> tuple[float, float]:
    """The shortest of several runs of each, taken in turn, ``before`` run ahead of each."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for work, spent in ((ours, times[0]), (floor, times[1])):
            before()
            started = time.perf_counter()
            work()
            spent.append(time.perf_counter() - started)
    return min(times[0]), min(times[1])
