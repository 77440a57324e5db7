"""Calendar feeds: building a 5,000-session feed beside raw icalendar, and serving a cached
feed, and the 304 that revalidates it, beside the floor's bare trivial response
(bench/floor.py) under the same gunicorn settings and worker count.

``python -m bench.calendar`` starts its own SQLite database, Redis and gunicorn servers.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path

import requests
from flask import Flask
from icalendar import Calendar, Event, Timezone, vGeo

from bench.support import against_floor, figure, served, wrk
from services.calendar import create_app
from services.calendar.operations import FeedContext, event_feed
from services.registration.demo import load_events
from shared.database import db, utcnow
from shared.i18n import BRUSSELS
from shared.ical import BRUSSELS_VTIMEZONE, date_uid
from shared.migrate import upgrade_database
from shared.models import AttendanceRule, EventKind, Group, SessionDate
from shared.models import Event as EventRow
from tests.support.servers import (
    ManagedProcess,
    RedisServer,
    free_port,
    gunicorn_command,
    service_environment,
    wait_for_port,
)

SESSIONS = 5_000
DATES_PER_GROUP = 2
BIG_EVENT = "bench-5000"
CACHED_FEED = "/feeds/events/pratiquer-action-evaluation-experimentalistes.ics?lang=fr"
TRIVIAL = "/bench/trivial"
LOAD_SECONDS = 2
# Other work on the machine only ever slows a run down: the best of several is the figure.
ROUNDS = 8
LOAD_ROUNDS = 6
CONNECTIONS = 8
WORKERS = 2  # gunicorn workers of the calendar server and of the floor's alike
BUILD = 1.5  # at most this multiple of raw icalendar's time
FEED = 0.8  # at least this fraction of the floor's constant responses per second


def bench_app() -> Flask:
    """The calendar service plus one endpoint that does nothing: its own trivial response."""
    app = create_app()
    app.add_url_rule(TRIVIAL, "bench_trivial", lambda: "ok")
    return app


def main() -> None:
    """Print the build and throughput figures."""
    with tempfile.TemporaryDirectory(prefix="atelier-bench-calendar-") as folder:
        workdir = Path(folder)
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        upgrade_database(database_url)
        redis = RedisServer(workdir / "redis").start()
        try:
            app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis.url})
            with app.app_context():
                seed(app)
                ours, raw = build_times(app)
            against_floor(
                "calendar feed build (5,000 sessions; floor: raw icalendar)",
                ours * 1000,
                raw * 1000,
                "ms",
                at_most=BUILD,
            )
            rates = throughput(workdir, database_url, redis.url)
        finally:
            redis.stop()
    floor = rates["floor"]
    figure("calendar trivial endpoint under gunicorn", rates["trivial"], "req/s", floor=floor)
    against_floor(
        "calendar cached feed under gunicorn (200)", rates["feed"], floor, "req/s", at_least=FEED
    )
    against_floor(
        "calendar feed revalidated under gunicorn (304, If-None-Match)",
        rates["not modified"],
        floor,
        "req/s",
        at_least=FEED,
    )


def seed(app: Flask) -> None:
    """The demo events in the coming weeks, and one event of 5,000 upcoming sessions."""
    session = db.session
    load_events(session, today=utcnow().date())
    event = EventRow(
        slug=BIG_EVENT,
        title={"fr": "Atelier d’écriture collective", "uk": "Колективне письмо"},
        description={"fr": "Écrire ensemble, relire, réécrire ; un texte par séance."},
        prerequisites={"fr": "Aucun prérequis, juste l’envie d’écrire."},
        kind=EventKind.WORKSHOP,
        attendance_rule=AttendanceRule.ALL_DATES,
        organiser_contact="ateliers@example.org",
    )
    first = (
        (utcnow() + timedelta(days=7))
        .astimezone(BRUSSELS)
        .replace(hour=9, minute=30, second=0, microsecond=0)
    )
    for number in range(SESSIONS // DATES_PER_GROUP):
        start = first + timedelta(days=number % 300)
        event.groups.append(
            Group(
                slug=f"groupe-{number}",
                name=f"Groupe {number}",
                venue_name="Maison de la culture",
                street_address=f"rue de l’Église {number}",
                postcode="5000",
                town="Namur",
                town_slug="namur",
                latitude=50.4674,
                longitude=4.8720,
                capacity=20,
                position=number,
                dates=[
                    SessionDate(
                        starts_at=start + timedelta(weeks=week),
                        ends_at=start + timedelta(weeks=week, hours=6),
                    )
                    for week in range(DATES_PER_GROUP)
                ],
            )
        )
    session.add(event)
    session.commit()


def build_times(app: Flask) -> tuple[float, float]:
    """Best of a few rounds: the big feed built from the database, and raw icalendar alone."""
    context = FeedContext("fr", "https://inscriptions.example.org", "https://agenda/x", utcnow())

    def ours() -> bytes:
        db.session.expunge_all()
        return event_feed(BIG_EVENT).build(db.session, context)

    ours()  # warm-up: imports, translations, the database's page cache
    rows = raw_rows()
    timings: dict[str, list[float]] = {"ours": [], "raw": []}
    # Alternate the two so that a busy moment of the machine weighs on both alike.
    for _ in range(ROUNDS):
        timings["ours"].append(duration(ours))
        timings["raw"].append(duration(lambda: raw_icalendar(rows)))
    return min(timings["ours"]), min(timings["raw"])


def raw_rows() -> list[dict[str, object]]:
    """The big feed's events as plain values, for icalendar to serialise without us."""
    dates = db.session.query(SessionDate).join(SessionDate.group).join(Group.event)
    rows = []
    for session_date in dates.filter(EventRow.slug == BIG_EVENT):
        group = session_date.group
        rows.append(
            {
                "uid": date_uid(session_date),
                "dtstamp": session_date.updated_at,
                "created": session_date.created_at,
                "last-modified": session_date.updated_at,
                "sequence": session_date.sequence,
                "dtstart": session_date.starts_at.astimezone(BRUSSELS),
                "dtend": session_date.ends_at.astimezone(BRUSSELS),
                "summary": f"Atelier d’écriture collective — {group.name}",
                "location": f"{group.venue_name}, {group.address}",
                "geo": vGeo((group.latitude, group.longitude)),
                "url": "https://inscriptions.example.org/events/bench-5000",
                "categories": ["Atelier de formation"],
                "status": "CONFIRMED",
                "description": "Écrire ensemble, relire, réécrire ; un texte par séance.\n"
                "Prérequis : Aucun prérequis, juste l’envie d’écrire.\n20 places restantes\n"
                "Informations et inscription : https://inscriptions.example.org/events/"
                "bench-5000\nContact : ateliers@example.org",
            }
        )
    return rows


def raw_icalendar(rows: list[dict[str, object]]) -> bytes:
    """The same events built and serialised by icalendar directly."""
    calendar = Calendar()
    calendar.add("prodid", "-//bench//")
    calendar.add("version", "2.0")
    calendar.add_component(Timezone.from_ical(BRUSSELS_VTIMEZONE))
    for row in rows:
        event = Event()
        for name, value in row.items():
            event.add(name, value)
        calendar.add_component(event)
    return calendar.to_ical()


def duration(work: Callable[[], object]) -> float:
    """How long ``work`` takes, in seconds."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def throughput(workdir: Path, database_url: str, redis_url: str) -> dict[str, float]:
    """Requests per second of each load, the best of alternating runs: the floor's constant
    response, the calendar server's trivial endpoint, its cached feed, and the 304 of a
    client whose copy of the feed is current."""
    port = free_port()
    command = [
        *gunicorn_command("bench.calendar", port, WORKERS)[:-1],
        "bench.calendar:bench_app()",
    ]
    environment = service_environment(DATABASE_URL=database_url, REDIS_URL=redis_url)
    server = ManagedProcess(command, workdir / "gunicorn.log", environment).start()
    try:
        with served("bench.floor", {}, workers=WORKERS) as floor_url:
            wait_for_port(port)
            calendar_url = f"http://127.0.0.1:{port}"
            answer(f"{calendar_url}{TRIVIAL}", 200)
            etag = answer(f"{calendar_url}{CACHED_FEED}", 200)["ETag"]
            answer(f"{calendar_url}{CACHED_FEED}", 304, {"If-None-Match": etag})
            loads = {
                "floor": (f"{floor_url}/livez", None),
                "trivial": (f"{calendar_url}{TRIVIAL}", None),
                "feed": (f"{calendar_url}{CACHED_FEED}", None),
                "not modified": (
                    f"{calendar_url}{CACHED_FEED}",
                    f'wrk.headers["If-None-Match"] = {json.dumps(etag)}\n',
                ),
            }
            rates: dict[str, list[float]] = {name: [] for name in loads}
            for _ in range(LOAD_ROUNDS):
                for name, (url, script) in loads.items():
                    rates[name].append(requests_per_second(url, script))
        return {name: max(runs) for name, runs in rates.items()}
    finally:
        server.stop()


def answer(url: str, status: int, headers: dict[str, str] | None = None) -> Mapping[str, str]:
    """Fail loudly unless ``url`` answers ``status`` (and warm the feed cache); its headers."""
    response = requests.get(url, headers=headers, timeout=60)
    if response.status_code != status:
        raise RuntimeError(f"{url} answered {response.status_code}, not {status}")
    return response.headers


def requests_per_second(url: str, script: str | None) -> float:
    """Throughput of ``url`` under a steady load of keep-alive connections."""
    result = wrk(url, connections=CONNECTIONS, seconds=LOAD_SECONDS, script=script)
    if result.errors:
        raise RuntimeError(f"{url}: {result.errors} failed responses")
    return result.requests_per_s


if __name__ == "__main__":
    main()
