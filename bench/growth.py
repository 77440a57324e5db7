"""Years of events: the sessions page, the first page of ``GET /api/v1/events`` and a town's
feed as events accumulate (0, 1,000 and 5,000 added, half of them past), each beside its
own time at the first step; the page and the API page within their byte budgets.

The first step is a season: the demo's events and enough coming ones to fill the API's first
page, so that every step shows full pages and the ratios are history's alone.

``python -m bench growth`` starts its own database (PostgreSQL when ``DATABASE_URL`` names
one, else SQLite) and Redis, and requests each address in process, as ``make run`` serves it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bench.support import against_floor, figure, target
from services.calendar import create_app as calendar_app
from services.registration import create_app as registration_app
from services.registration.demo import load_events
from shared.database import db, utcnow
from shared.migrate import upgrade_database
from shared.models import AttendanceRule, Event, EventKind, Group, SessionDate
from shared.paging import DEFAULT_LIMIT
from tests.support.databases import is_postgres, throwaway_postgres
from tests.support.servers import RedisServer

STEPS = (0, 1_000, 5_000)
SEASON = DEFAULT_LIMIT  # coming events before the first step: a full first page
REQUESTS = 15  # the median of this many is each figure
TOWN = "namur"
ADDRESSES = {
    "sessions page /": ("registration", "/"),
    "GET /api/v1/events (first page)": ("registration", "/api/v1/events"),
    f"/feeds/towns/{TOWN}.ics": ("calendar", f"/feeds/towns/{TOWN}.ics"),
}
SLOWER = 1.5  # at most this multiple of the first step's time
PAGE_BYTES = 40 * 1024
API_PAGE_BYTES = 100 * 1024


def main() -> None:
    """Print each address's time and bytes at each step, then the targets."""
    with tempfile.TemporaryDirectory(prefix="atelier-bench-growth-") as folder:
        workdir = Path(folder)
        redis = RedisServer(workdir / "redis").start()
        try:
            with database(workdir) as url:
                config = {"DATABASE_URL": url, "REDIS_URL": redis.url}
                apps = {"registration": registration_app(config), "calendar": calendar_app(config)}
                figures = measure_steps(apps)
        finally:
            redis.stop()
    report(figures)


@contextmanager
def database(workdir: Path) -> Iterator[str]:
    """A migrated database of the benchmark's own."""
    server = os.environ.get("DATABASE_URL")
    if is_postgres(server):
        with throwaway_postgres(server) as url:
            yield url
        return
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    upgrade_database(url)
    yield url


def measure_steps(apps: dict[str, Flask]) -> dict[str, list[tuple[int, float, int]]]:
    """For each address, (events added, median ms, bytes) at each step."""
    figures: dict[str, list[tuple[int, float, int]]] = {name: [] for name in ADDRESSES}
    added = 0
    with apps["registration"].app_context():
        load_events(db.session, today=utcnow().date())
        db.session.commit()
        add_events(-SEASON, SEASON, history=False)
    for step in STEPS:
        with apps["registration"].app_context():
            add_events(added, step - added)
            analyse(db.session)
        added = step
        for name, (service, path) in ADDRESSES.items():
            milliseconds, size = timed(apps[service], path)
            figures[name].append((step, milliseconds, size))
            print(f"{step:>6,} events added, {name}: {milliseconds:.1f} ms, {size:,} bytes")
    return figures


def analyse(session: Session) -> None:
    """Let PostgreSQL learn the tables' new sizes, as its autovacuum does soon after a bulk
    load: years of history are not a few seconds old."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.commit()


def add_events(first: int, count: int, *, history: bool = True) -> None:
    """``count`` events of one group and two dates in the town; with ``history``, every
    other one long past."""
    now = utcnow()
    session = db.session
    for number in range(first, first + count):
        session.execute(
            insert(Event).values(
                slug=f"bench-growth-{number}",
                title={"fr": f"Formation {number}", "en": f"Training {number}"},
                description={"fr": "Deux journées pour pratiquer."},
                prerequisites={},
                kind=EventKind.WORKSHOP,
                attendance_rule=AttendanceRule.ALL_DATES,
                organiser_contact="formations@example.org",
            )
        )
    session.flush()
    created = session.execute(
        select(Event.id, Event.slug).where(Event.slug.startswith("bench-growth-"))
    ).all()
    fresh = {slug: event_id for event_id, slug in created}
    for number in range(first, first + count):
        days = 3 + number % 300
        coming = number % 2 or not history
        start = now + timedelta(days=days if coming else -days - 30)
        group_id = session.execute(
            insert(Group)
            .values(
                event_id=fresh[f"bench-growth-{number}"],
                slug="groupe",
                name="Groupe",
                venue_name="Maison de la culture",
                street_address="rue de l'Église 1",
                postcode="5000",
                town="Namur",
                town_slug=TOWN,
                capacity=20,
            )
            .returning(Group.id)
        ).scalar_one()
        session.execute(
            insert(SessionDate),
            [
                {
                    "group_id": group_id,
                    "starts_at": start + timedelta(weeks=week),
                    "ends_at": start + timedelta(weeks=week, hours=6),
                }
                for week in (0, 1)
            ],
        )
    session.commit()


def timed(app: Flask, path: str) -> tuple[float, int]:
    """The median time of ``REQUESTS`` requests of ``path`` after one to warm up, and its
    size."""
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    durations = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(path)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000, len(response.data)


def report(figures: dict[str, list[tuple[int, float, int]]]) -> None:
    """Each address at the last step beside the first, and the byte budgets."""
    for name, steps in figures.items():
        (_, first_ms, _), (middle_step, middle_ms, _), (last_step, last_ms, last_bytes) = steps
        figure(f"{name}, bytes at {last_step:,} events added", last_bytes, "bytes")
        # Between the two steps of history too.
        figure(
            f"{name} at {last_step:,} events added",
            last_ms,
            "ms",
            floor=middle_ms,
            versus=f"{middle_step:,} added",
        )
        against_floor(
            f"{name} at {last_step:,} events added",
            last_ms,
            first_ms,
            "ms",
            at_most=SLOWER,
            versus="no event added",
        )
    target(
        "sessions page / at 5,000 events",
        figures["sessions page /"][-1][2],
        "bytes",
        at_most=PAGE_BYTES,
    )
    api = figures["GET /api/v1/events (first page)"][-1][2]
    target("GET /api/v1/events first page at 5,000 events", api, "bytes", at_most=API_PAGE_BYTES)
