"""Calendar feeds: building a 5,000-session feed beside raw icalendar, and serving a cached
feed beside a trivial endpoint of the same gunicorn server.

``python -m bench.calendar`` starts its own SQLite database, Redis and gunicorn.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask
from icalendar import Calendar, Event, Timezone, vGeo

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
CONNECTIONS = 8


def bench_app() -> Flask:
    """The calendar service plus one endpoint that does nothing, as the throughput baseline."""
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
            report("calendar feed build, raw icalendar (5,000 sessions)", raw * 1000, "ms")
            report("calendar feed build (5,000 sessions)", ours * 1000, "ms", ours / raw)
            trivial, cached = throughput(workdir, database_url, redis.url)
            report("calendar trivial endpoint under gunicorn", trivial, "req/s")
            report("calendar cached feed under gunicorn", cached, "req/s", cached / trivial)
        finally:
            redis.stop()


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


def throughput(workdir: Path, database_url: str, redis_url: str) -> tuple[float, float]:
    """Requests per second of the trivial endpoint and of the cached feed, best of a few runs."""
    port = free_port()
    command = [*gunicorn_command("bench.calendar", port)[:-1], "bench.calendar:bench_app()"]
    environment = service_environment(DATABASE_URL=database_url, REDIS_URL=redis_url)
    server = ManagedProcess(command, workdir / "gunicorn.log", environment).start()
    try:
        wait_for_port(port)
        for path in (TRIVIAL, CACHED_FEED):
            check(port, path)
        rates: dict[str, list[float]] = {TRIVIAL: [], CACHED_FEED: []}
        for _ in range(ROUNDS):
            for path in rates:
                rates[path].append(requests_per_second(port, path))
        return max(rates[TRIVIAL]), max(rates[CACHED_FEED])
    finally:
        server.stop()


def check(port: int, path: str) -> None:
    """Fail loudly unless ``path`` answers 200 (and warm the feed cache)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")


def requests_per_second(port: int, path: str) -> float:
    """Throughput of ``path`` under a steady load of keep-alive connections."""
    wrk = shutil.which("wrk")
    url = f"http://127.0.0.1:{port}{path}"
    if wrk:
        result = subprocess.run(
            [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{LOAD_SECONDS}s", url],
            capture_output=True,
            text=True,
            check=True,
        )
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
        if errors:
            raise RuntimeError(f"{path}: {errors.group(1)} failed responses")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    return python_load(port, path)


def python_load(port: int, path: str) -> float:
    """Throughput measured by threads of keep-alive clients, where wrk is not installed."""
    deadline = time.perf_counter() + LOAD_SECONDS
    counts: list[int] = []

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        done = 0
        while time.perf_counter() < deadline:
            connection.request("GET", path)
            connection.getresponse().read()
            done += 1
        connection.close()
        counts.append(done)

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def report(name: str, value: float, unit: str, ratio: float | None = None) -> None:
    """One figure per line, with its ratio to the baseline when it has one."""
    line = f"{name}: {value:.0f} {unit}"
    if ratio is not None:
        line += f"  (ratio: {ratio:.2f}× baseline)"
    print(line, flush=True)


if __name__ == "__main__":
    main()
