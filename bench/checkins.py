"""A door's offline queue sent when the network returns: 200 marks of presence applied in one
request, beside the floor, the same writes in plain SQL through psycopg (one transaction: the
attendance rows and their audit entries, each an ``executemany``).

In process, on PostgreSQL: the figure is the request's own work (the token, the event, the
codes checked, who is already marked, the rows written and committed), not a server's. Each
figure is the best of several rounds, the request's and the floor's taken in turns, the date
emptied of its marks before each.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from flask import Flask
from sqlalchemy import delete

from bench.floor import conninfo
from bench.support import POSTGRES, against_floor
from services.registration import create_app
from services.registration.accounts.auth import issue_token
from shared.database import db, utcnow
from shared.domain.checkin import checkin_code
from shared.i18n import BRUSSELS
from shared.models import Attendance, AuditEntry, Organiser
from tests.organiser.conftest import held_days_ago, registered_before
from tests.support.databases import throwaway_postgres
from tests.support.factories import Factory

MARKS = 200
ROUNDS = 41
AT_MOST = 2.0  # times the plain SQL's duration


def main() -> None:
    """Print the time to apply 200 offline marks in one request against plain SQL's."""
    with throwaway_postgres(POSTGRES) as database_url:
        app = create_app(
            {"DATABASE_URL": database_url, "RATE_LIMITS_ENABLED": False, "SECRET_KEY": "bench"}
        )
        with app.test_request_context():
            queue = prepared()
        client = app.test_client()
        body = json.dumps({"marks": queue.marks})
        headers = {"Authorization": f"Bearer {queue.token}", "Content-Type": "application/json"}
        dsn = conninfo(database_url)

        answered = []

        def send() -> None:
            answered.append(client.post(queue.url, data=body, headers=headers))

        with psycopg.connect(dsn) as connection:

            def plain_sql() -> None:
                write_plainly(connection, queue)

            ours, floor = best_times(app, send, plain_sql)
        # Checked after the timing: reading the answer is the phone's work, not the request's.
        for response in answered:
            assert response.status_code == 200, response.json
            assert all(a["outcome"] == "present" for a in response.json["answers"])
    against_floor(
        f"{MARKS} offline marks in one request (floor: the same writes in plain SQL)",
        ours * 1000,
        floor * 1000,
        "ms",
        at_most=AT_MOST,
    )


@dataclass(frozen=True)
class Queue:
    """A door's queue of marks, where it is sent, and what the floor writes for it."""

    url: str
    token: str
    marks: list[dict[str, str]]
    ids: list[int]
    moments: list[datetime]
    organiser_id: int
    event_id: int
    date_id: int


def prepared() -> Queue:
    """A date held today with 200 confirmed participants, an organiser's token, and the
    marks a phone queued for each of them, each at its own moment."""
    make = Factory(db.session)
    event = make.event(registration_opens_at=None)
    group = make.group(event, capacity=MARKS, dates=held_days_ago(0))
    session_date = group.dates[0]
    # Registered the day before: by now the date may have begun, and registration with it.
    people = [registered_before(make, group) for _ in range(MARKS)]
    organiser = Organiser(email="door@example.org", password_hash="-", events=[event])
    db.session.add(organiser)
    db.session.flush()
    _row, token = issue_token(db.session, organiser)
    db.session.commit()
    # A millisecond apart: the moments of a queue differ.
    now = utcnow().astimezone(BRUSSELS)
    moments = [now - timedelta(milliseconds=MARKS - index) for index in range(MARKS)]
    return Queue(
        url=f"/api/v1/events/{event.slug}/dates/{session_date.id}/checkins",
        token=token,
        marks=[
            {"code": checkin_code(person), "marked_at": moment.isoformat()}
            for person, moment in zip(people, moments, strict=True)
        ],
        ids=[person.id for person in people],
        moments=moments,
        organiser_id=organiser.id,
        event_id=event.id,
        date_id=session_date.id,
    )


def write_plainly(connection: psycopg.Connection, queue: Queue) -> None:
    """The floor: the attendance rows and audit entries of the 200 marks, in plain SQL, in
    one transaction on an open connection (as the app's pool holds one)."""
    now = utcnow()
    marks = list(zip(queue.ids, queue.moments, strict=True))
    with connection.transaction(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO attendances (registration_id, session_date_id, present, marked_by_id, "
            "marked_at) VALUES (%s, %s, true, %s, %s)",
            [(i, queue.date_id, queue.organiser_id, moment) for i, moment in marks],
        )
        cursor.executemany(
            "INSERT INTO audit_log (organiser_id, action, event_id, registration_id, "
            "details, created_at) VALUES (%s, 'attendance.checked_in', %s, %s, %s, %s)",
            [
                (
                    queue.organiser_id,
                    queue.event_id,
                    i,
                    json.dumps({"date_id": queue.date_id, "at": moment.isoformat()}),
                    now,
                )
                for i, moment in marks
            ],
        )


def best_times(
    app: Flask, work: Callable[[], None], floor: Callable[[], None]
) -> tuple[float, float]:
    """The shortest of several runs of ``work`` and of ``floor``, taken in turns so that both
    meet the machine's load alike, the date's marks removed before each run."""
    times: dict[Callable[[], None], list[float]] = {work: [], floor: []}
    for _ in range(ROUNDS):
        for run, taken in times.items():
            with app.app_context():
                db.session.execute(delete(Attendance))
                db.session.execute(delete(AuditEntry).where(AuditEntry.action != "event.created"))
                db.session.commit()
            started = time.perf_counter()
            run()
            taken.append(time.perf_counter() - started)
    return min(times[work]), min(times[floor])
