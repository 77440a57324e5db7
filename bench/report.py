"""The funders' participation report for a year of data on PostgreSQL (300 groups, 40,000
registrations, 200,000 answers, their presence marked), beside the floor: the same aggregates
written as raw SQL through psycopg, on an open connection, in the same run.

The events, groups and questions are made through the models; the registrations, answers and
attendances are bulk-loaded with ``executemany``. The figure is the API request
``GET /api/v1/reports/participation`` for the year, in process (an administrator's token, the
figures dumped as JSON), and the SQL statements it runs; each time is the best of several
rounds, the two sides alternating. The floor's figures must equal the report's.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from bench.floor import conninfo
from bench.support import POSTGRES, against_floor, figure, target
from services.registration import create_app
from services.registration.accounts.auth import issue_token
from shared.database import db, utcnow
from shared.domain.indicators import INDICATORS
from shared.domain.participation_report import NOT_ANSWERED, NOT_ASKED
from shared.models import (
    AnswerKind,
    AttendanceRule,
    EventKind,
    Organiser,
    RegistrationQuestion,
    Role,
)
from tests.support.databases import listening, throwaway_postgres
from tests.support.factories import Factory, indicator_question, local

EVENTS = 60
GROUPS_PER_EVENT = 5
REGISTRATIONS = 40_000
PEOPLE = 25_000  # some come to several events
YEAR = 2025
ROUNDS = 7
STATEMENTS = 10
AT_MOST = 2.0  # times the raw SQL's duration

# Each event asks five questions tied to indicators, so every registration answers five: the
# age band from a birth date, the others by a choice, "prefer not to say" among them.
CHOICES = {
    "gender": ["woman", "man", "non_binary"],
    "labour_market": ["employed", "unemployed", "long_term_unemployed", "inactive"],
    "education": ["isced_0_2", "isced_3_4", "isced_5_8", None],
    "disability": ["yes", "no", "prefer_not_to_say"],
}


def main() -> None:
    """Print the report's time and statements against the raw SQL's time."""
    with throwaway_postgres(POSTGRES) as database_url:
        app = create_app(
            {"DATABASE_URL": database_url, "RATE_LIMITS_ENABLED": False, "SECRET_KEY": "bench"}
        )
        started = time.monotonic()
        with app.app_context():
            token = load_year(database_url)
        print(f"a year of data loaded in {time.monotonic() - started:.0f} s", flush=True)
        client = app.test_client()
        url = f"/api/v1/reports/participation?from={YEAR}-01-01&to={YEAR}-12-31"
        headers = {"Authorization": f"Bearer {token}"}
        answers: list[dict[str, Any]] = []
        statements: list[str] = []

        def request() -> None:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, response.json
            answers.append(response.json)

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        with listening(app.extensions["database"].engine, "before_cursor_execute", count):
            request()
        with psycopg.connect(conninfo(database_url)) as connection:
            floor_figures: list[dict[str, Any]] = []

            def raw_sql() -> None:
                floor_figures.append(report_in_raw_sql(connection))

            ours, floor = best_times(request, raw_sql)
    check_same_figures(answers[-1], floor_figures[-1])
    figure("report for the year", answers[-1]["registrations"], "registrations counted")
    target("report for the year, SQL statements", len(statements), "statements", at_most=STATEMENTS)
    against_floor(
        "report for the year (floor: the same aggregates in raw SQL)",
        ours * 1000,
        floor * 1000,
        "ms",
        at_most=AT_MOST,
    )


def load_year(database_url: str) -> str:
    """A year of events, groups, questions, registrations, answers and presence; an
    administrator's token."""
    make = Factory(db.session)
    groups: list[tuple[int, int, bool, list[tuple[int, bool, datetime]]]] = []
    questions: dict[int, list[int]] = {}
    for number in range(EVENTS):
        one_date = number % 4 == 3
        event = make.event(
            slug=f"year-{number}",
            registration_opens_at=None,
            kind=EventKind.INFORMATION_SESSION if one_date else EventKind.WORKSHOP,
            attendance_rule=AttendanceRule.ONE_DATE if one_date else AttendanceRule.ALL_DATES,
        )
        asked = [
            indicator_question(
                event, key, position, [(f"c{n}", c) for n, c in enumerate(CHOICES[key])]
            )
            for position, key in enumerate(CHOICES)
        ]
        asked.append(
            RegistrationQuestion(
                event=event,
                position=len(asked),
                kind=AnswerKind.DATE,
                wording={"fr": "Date de naissance"},
                indicator="age_band",
            )
        )
        db.session.add_all(asked)
        db.session.flush()
        questions[event.id] = [question.id for question in asked]
        for index in range(GROUPS_PER_EVENT):
            serial = number * GROUPS_PER_EVENT + index
            first = local(f"{YEAR}-01-05T09:00") + timedelta(days=serial * 7 % 357)
            group = make.group(
                event,
                capacity=None,
                dates=[
                    (first + timedelta(weeks=week), first + timedelta(weeks=week, hours=3))
                    for week in range(3)
                ],
            )
            if serial % 30 == 29:
                group.cancelled_at = utcnow()
            if serial % 10 == 4:
                group.dates[-1].cancelled_at = utcnow()
            dates = [(d.id, d.cancelled_at is None, d.starts_at) for d in group.dates]
            groups.append((event.id, group.id, one_date, dates))
    organiser = Organiser(email="admin@example.org", name="Admin", password_hash="-", is_admin=True)
    db.session.add(organiser)
    db.session.flush()
    _row, token = issue_token(db.session, organiser)
    db.session.commit()
    with psycopg.connect(conninfo(database_url)) as connection:
        load_registrations(connection, groups, questions)
    return token


def load_registrations(
    connection: psycopg.Connection,
    groups: list[tuple[int, int, bool, list[tuple[int, bool, datetime]]]],
    questions: dict[int, list[int]],
) -> None:
    """The registrations, spread over the groups, with their answers and presence, in bulk."""
    now = utcnow()
    rows = []
    for number in range(REGISTRATIONS):
        event_id, group_id, one_date, dates = groups[
            number * len(groups) // REGISTRATIONS // GROUPS_PER_EVENT * GROUPS_PER_EVENT
            + number % GROUPS_PER_EVENT
        ]
        status = {0: "waitlisted", 1: "cancelled"}.get(number % 20, "confirmed")
        chosen = dates[number % len(dates)][0] if one_date else None
        registered = dates[0][2] - timedelta(days=10)
        rows.append(
            (
                event_id,
                group_id,
                chosen,
                f"person{number % PEOPLE}@example.org",
                Role.OTHER.value,
                status,
                number if status == "waitlisted" else None,
                registered,
                now,
            )
        )
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO registrations (event_id, group_id, session_date_id, first_name, "
            "last_name, email, email_normalized, role, language, consent_version, consented_at, "
            "status, waitlist_position, created_at, updated_at) VALUES (%s, %s, %s, 'Bench', "
            "'Year', %s, %s, %s, 'fr', 'bench', %s, %s, %s, %s, %s)",
            [
                (e, g, d, email, email, role, at, status, position, at, now)
                for e, g, d, email, role, status, position, at, now in rows
            ],
        )
        registered = cursor.execute(
            "SELECT id, event_id, group_id, session_date_id, status FROM registrations ORDER BY id"
        ).fetchall()
        cursor.executemany(
            "INSERT INTO registration_answers (registration_id, question_id, value) "
            "VALUES (%s, %s, %s)",
            [
                (registration_id, question_id, json.dumps(answer(number, position)))
                for number, (registration_id, event_id, *_rest) in enumerate(registered)
                for position, question_id in enumerate(questions[event_id])
            ],
        )
        held = {
            group_id: [date_id for date_id, is_held, _at in dates if is_held]
            for _e, group_id, _one, dates in groups
        }
        marks = []
        for number, (registration_id, _e, group_id, chosen, status) in enumerate(registered):
            if status != "confirmed":
                continue
            expected = held[group_id] if chosen is None else [chosen] * (chosen in held[group_id])
            for place, date_id in enumerate(expected):
                mark = (number + place) % 10
                if mark < 9:
                    marks.append((registration_id, date_id, mark < 8, now))
        cursor.executemany(
            "INSERT INTO attendances (registration_id, session_date_id, present, marked_at) "
            "VALUES (%s, %s, %s, %s)",
            marks,
        )
    connection.commit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def answer(number: int, position: int) -> str:
    """The answer of the ``number``th registration to its event's ``position``th question."""
    if position < len(CHOICES):
        return f"c{(number + position) % len(list(CHOICES.values())[position])}"
    return date(1950 + number % 50, 1 + number % 12, 1 + number % 28).isoformat()


DATES = """
WITH scoped AS (
    SELECT d.group_id, g.event_id, d.starts_at, d.ends_at, d.cancelled_at IS NULL AS held,
           d.headcount,
           d.starts_at >= %(begins)s AND d.starts_at < %(ends)s AS in_period
    FROM session_dates d JOIN groups g ON g.id = d.group_id
    WHERE g.cancelled_at IS NULL AND g.id IN (
        SELECT group_id FROM session_dates WHERE starts_at >= %(begins)s AND starts_at < %(ends)s
    )
)
SELECT count(DISTINCT event_id) FILTER (WHERE held),
       coalesce(sum(extract(epoch FROM ends_at - starts_at)) FILTER (WHERE in_period), 0) / 3600,
       coalesce(sum(extract(epoch FROM ends_at - starts_at)) FILTER (WHERE in_period AND held),
                0) / 3600,
       coalesce(sum(headcount) FILTER (WHERE in_period AND held), 0),
       coalesce(array_agg(DISTINCT group_id) FILTER (WHERE held), '{}')
FROM scoped
"""
PRESENCE = """
WITH held AS (
    SELECT id, group_id FROM session_dates
    WHERE cancelled_at IS NULL AND group_id = ANY(%(groups)s)
), per_group AS (
    SELECT group_id, count(*) AS dates FROM held GROUP BY group_id
), counted AS (
    SELECT id, group_id, session_date_id, email_normalized FROM registrations
    WHERE group_id = ANY(%(groups)s) AND status = 'confirmed'
), present AS (
    SELECT a.registration_id, count(*) AS dates
    FROM attendances a
    JOIN counted r ON r.id = a.registration_id
    JOIN held h ON h.id = a.session_date_id AND h.group_id = r.group_id
    WHERE a.present AND (r.session_date_id IS NULL OR r.session_date_id = h.id)
    GROUP BY a.registration_id
), each AS (
    SELECT r.email_normalized,
           CASE WHEN r.session_date_id IS NULL THEN coalesce(g.dates, 0)
                WHEN c.id IS NOT NULL THEN 1 ELSE 0 END AS expected,
           coalesce(p.dates, 0) AS present
    FROM counted r
    LEFT JOIN per_group g ON g.group_id = r.group_id
    LEFT JOIN held c ON c.id = r.session_date_id
    LEFT JOIN present p ON p.registration_id = r.id
)
SELECT count(*), count(DISTINCT email_normalized), coalesce(sum(expected), 0),
       coalesce(sum(present), 0), count(*) FILTER (WHERE expected > 0 AND present = expected)
FROM each
"""
PER_EVENT = """
SELECT event_id, count(*) FROM registrations
WHERE group_id = ANY(%(groups)s) AND status = 'confirmed'
GROUP BY event_id
"""
# The first question of each event tied to each indicator.
ASKING = """
SELECT DISTINCT ON (event_id, indicator) id, event_id, indicator, kind, choices
FROM registration_questions
WHERE indicator IS NOT NULL AND event_id = ANY(%(events)s)
ORDER BY event_id, indicator, position, id
"""
CHOSEN = """
SELECT a.question_id, a.value #>> '{}', count(*)
FROM registration_answers a JOIN registrations r ON r.id = a.registration_id
WHERE a.question_id = ANY(%(questions)s) AND r.group_id = ANY(%(groups)s)
  AND r.status = 'confirmed'
GROUP BY 1, 2
"""
# The band of the age on the day of registration.
BORN = """
WITH answered AS (
    SELECT a.question_id, (a.value #>> '{}')::date AS born,
           (r.created_at AT TIME ZONE 'Europe/Brussels')::date AS registered
    FROM registration_answers a JOIN registrations r ON r.id = a.registration_id
    WHERE a.question_id = ANY(%(questions)s) AND r.group_id = ANY(%(groups)s)
      AND r.status = 'confirmed'
)
SELECT question_id,
       CASE WHEN born > registered - interval '30 years' THEN 'under_30'
            WHEN born > registered - interval '55 years' THEN '30_54'
            ELSE '55_plus' END,
       count(*)
FROM answered
GROUP BY 1, 2
"""


def report_in_raw_sql(connection: psycopg.Connection) -> dict[str, Any]:
    """The floor: the report's figures for the year, in six statements of raw SQL."""
    period = {"begins": local(f"{YEAR}-01-01T00:00"), "ends": local(f"{YEAR + 1}-01-01T00:00")}
    with connection.transaction(), connection.cursor() as cursor:
        events, planned, delivered, drop_in, groups = cursor.execute(DATES, period).fetchone()
        registrations, people, expected, present, completed = cursor.execute(
            PRESENCE, {"groups": groups}
        ).fetchone()
        per_event = dict(cursor.execute(PER_EVENT, {"groups": groups}).fetchall())
        asking = cursor.execute(ASKING, {"events": list(per_event)}).fetchall()
        by_kind = {
            kind: [question_id for question_id, _e, _i, other, _c in asking if other == kind]
            for kind in ("one_choice", "date")
        }
        chosen = cursor.execute(
            CHOSEN, {"questions": by_kind["one_choice"], "groups": groups}
        ).fetchall()
        born = cursor.execute(BORN, {"questions": by_kind["date"], "groups": groups}).fetchall()
    categories = {
        question_id: {choice["key"]: choice.get("category") for choice in choices}
        for question_id, _e, _i, _k, choices in asking
    }
    per_question: dict[int, Counter[str]] = {question_id: Counter() for question_id in categories}
    for question_id, key, count in chosen:
        if categories[question_id].get(key):
            per_question[question_id][categories[question_id][key]] += count
    for question_id, band, count in born:
        per_question[question_id][band] += count
    asked = {
        (event_id, indicator): per_question[question_id]
        for question_id, event_id, indicator, _k, _c in asking
    }
    indicators = {}
    for key, indicator in INDICATORS.items():
        tally = Counter(dict.fromkeys((*indicator.category_keys, NOT_ANSWERED, NOT_ASKED), 0))
        for event_id, counted in per_event.items():
            answered = asked.get((event_id, key))
            if answered is None:
                tally[NOT_ASKED] += counted
            else:
                tally.update(answered)
                tally[NOT_ANSWERED] += counted - answered.total()
        indicators[key] = dict(tally)
    return {
        "events_held": events,
        "groups_held": len(groups),
        "hours_planned": float(planned),
        "hours_delivered": float(delivered),
        "registrations": registrations,
        "people": people,
        "presence_rate": float(present / expected) if expected else None,
        "completed": completed,
        "drop_in_people": drop_in,
        "indicators": indicators,
    }


def check_same_figures(report: dict[str, Any], floor: dict[str, Any]) -> None:
    """Refuse a comparison with a floor that counted something else."""
    differing = {
        key: (report[key], value)
        for key, value in floor.items()
        if (round(report[key], 6) if isinstance(value, float) else report[key])
        != (round(value, 6) if isinstance(value, float) else value)
    }
    if differing:
        raise AssertionError(f"the report and the raw SQL differ (report, raw SQL): {differing}")


def best_times(*works: Callable[[], None]) -> list[float]:
    """The shortest of ``ROUNDS`` runs of each work, the works taking turns."""
    times: list[list[float]] = [[] for _ in works]
    for _ in range(ROUNDS):
        for runs, work in zip(times, works, strict=True):
            started = time.perf_counter()
            work()
            runs.append(time.perf_counter() - started)
    return [min(runs) for runs in times]
