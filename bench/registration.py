"""Registrations per second and their latency at 50 concurrent clients on PostgreSQL, and the
trivial endpoint's throughput, each beside the floor (bench/floor.py) served by the same
gunicorn settings and worker count, in the same run.

Atelier and the floor register on events of their own in one migrated database, their runs
alternating (BENCH_ROUNDS rounds, default 2, of BENCH_SECONDS each, default 5) so that a busy
moment of the machine weighs on both alike; the best run of each is the figure. The bench
servers run with the rate limits off (RATE_LIMITS_ENABLED=false, set by
tests.support.servers): every request comes from one address.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from bench.support import (
    POSTGRES,
    LoadResult,
    against_floor,
    best,
    figure,
    private_redis,
    requirement,
    served,
    wrk,
)
from shared.database import create_db_engine
from shared.models import Event
from tests.support.databases import throwaway_postgres
from tests.support.factories import Factory

CLIENTS = 50
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
WARM_UP_SECONDS = 2
GROUPS = ("charleroi", "jambes", "court-saint-etienne", "liege")
# Each side's app; the side's name is also the slug of the event it registers on.
SERVERS = {"atelier": "services.registration", "floor": "bench.floor"}
REGISTRATIONS = 0.7  # at least this fraction of the floor's registrations per second
LATENCY = 2.0  # at most this multiple of the floor's p99
TRIVIAL = 0.9  # at least this fraction of the floor's constant responses per second


def register_script(run: str, *, extra: str = "") -> str:
    """A wrk script where every request registers a new address, spread over the event's four
    groups; ``run`` keeps the addresses of one run apart from those of the others; ``extra``
    (``,"name":value``…) is added to every body."""
    groups = ", ".join(f'"{slug}"' for slug in GROUPS)
    return (
        f'local groups = {{{groups}}}\nlocal run = "{run}"\nlocal extra = [[{extra}]]\n'
        + """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"group":"%s","first_name":"Bench","last_name":"Load","email":"b%s-%d-%d@example.org",'
    .. '"role":"other","language":"fr","consent":true,"commit_all_dates":true%s}',
    groups[(counter % #groups) + 1], run, thread_id, counter, extra)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""
    )


def prepare(
    database_url: str,
    sides: Iterable[str] = SERVERS,
    then: Callable[[Session, Event], None] | None = None,
) -> None:
    """For each side, an open event with four groups large enough never to fill; ``then``
    adds to each event what a bench needs besides."""
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        make = Factory(session)
        for side in sides:
            event = make.event(slug=side)
            for slug in GROUPS:
                make.group(event, slug=slug, capacity=1_000_000)
            if then is not None:
                then(session, event)
    engine.dispose()


def measure(base_urls: dict[str, str]) -> dict[tuple[str, str], LoadResult]:
    """Each side's trivial endpoint and registrations, best of the alternating rounds."""
    runs: dict[tuple[str, str], list[LoadResult]] = defaultdict(list)

    def registrations(side: str, run: str, seconds: int) -> LoadResult:
        url = f"{base_urls[side]}/api/v1/events/{side}/registrations"
        return wrk(url, connections=CLIENTS, seconds=seconds, script=register_script(run))

    for side in base_urls:
        registrations(side, "warm-up", WARM_UP_SECONDS)
    for round_number in range(ROUNDS):
        # Each side goes first every other round: the database's background work after the
        # other's registrations then weighs on both alike.
        sides = list(base_urls) if round_number % 2 == 0 else list(reversed(base_urls))
        for side in sides:
            trivial = wrk(f"{base_urls[side]}/livez", connections=CLIENTS, seconds=SECONDS)
            runs[side, "trivial"].append(trivial)
            runs[side, "register"].append(registrations(side, str(round_number), SECONDS))
    return {key: best(results) for key, results in runs.items()}


def main() -> None:
    """Measure both sides and print the figures against the floor's."""
    with private_redis() as redis, throwaway_postgres(POSTGRES) as database_url:
        prepare(database_url)
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis.url, "SECRET_KEY": "bench"}
        with (
            served(SERVERS["atelier"], env) as atelier_url,
            served(SERVERS["floor"], env) as floor_url,
        ):
            results = measure({"atelier": atelier_url, "floor": floor_url})
    ours, floor = results["atelier", "register"], results["floor", "register"]
    trivial, constant = results["atelier", "trivial"], results["floor", "trivial"]
    against_floor(
        f"registrations (POST, PostgreSQL, {CLIENTS} clients)",
        ours.requests_per_s,
        floor.requests_per_s,
        "req/s",
        at_least=REGISTRATIONS,
    )
    against_floor("registration latency p99", ours.p99_ms, floor.p99_ms, "ms", at_most=LATENCY)
    figure("registration latency p50", ours.p50_ms, "ms", floor=floor.p50_ms)
    against_floor(
        "trivial endpoint (GET /livez)",
        trivial.requests_per_s,
        constant.requests_per_s,
        "req/s",
        at_least=TRIVIAL,
    )
    requirement("registration errors", ours.errors, f"of {ours.requests:,} requests")
    requirement("floor registration errors", floor.errors, f"of {floor.requests:,} requests")


if __name__ == "__main__":
    main()
