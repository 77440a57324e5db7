"""The opening rush: 1,000 simultaneous registration attempts on one 20-place group, through
gunicorn on PostgreSQL, against Atelier and against the floor (bench/floor.py) under the same
gunicorn settings, from the same client, in the same run.

RUSH_ROUNDS rounds each (default 5), alternating, each on a fresh group. After every round the
database must show the group's 20 places taken, none oversold, and the waiting list numbered
1..980 without gaps; no attempt may fail. The figure is the p99 latency of all of a side's
attempts beside the floor's. The bench servers run with the rate limits off
(RATE_LIMITS_ENABLED=false, set by tests.support.servers): every attempt comes from one
address.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bench.support import POSTGRES, against_floor, figure, private_redis, requirement, served
from shared.database import create_db_engine
from shared.models import Registration, RegistrationStatus
from tests.support.databases import throwaway_postgres
from tests.support.factories import Factory
from tests.support.load import all_at_once, percentile, timed

ATTEMPTS = int(os.environ.get("RUSH_ATTEMPTS", "1000"))
ROUNDS = int(os.environ.get("RUSH_ROUNDS", "5"))
CAPACITY = 20
SERVERS = {"Atelier": "services.registration", "floor": "bench.floor"}
LATENCY = 1.25  # at most this multiple of the floor's p99


@dataclass
class Tally:
    """What one side's rounds came to."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    oversold: int = 0
    wrong_waiting_lists: int = 0


def rush(base_url: str, engine: Engine, event_slug: str, tally: Tally) -> None:
    """One rush on a fresh group; what it came to is added to ``tally``."""
    with Session(engine) as session:
        make = Factory(session)
        group = make.group(make.event(slug=event_slug), capacity=CAPACITY)
        group_id, slug = group.id, group.slug
    url = f"{base_url}/api/v1/events/{event_slug}/registrations"

    def attempt(i: int) -> tuple[int, float]:
        body = {
            "group": slug,
            "first_name": "Rush",
            "last_name": f"N{i}",
            "email": f"rush-{i}@example.org",
            "role": "other",
            "consent": True,
            "commit_all_dates": True,
        }
        response, seconds = timed(lambda: requests.post(url, json=body, timeout=120))
        return response.status_code, seconds

    results = all_at_once(ATTEMPTS, attempt)
    tally.errors += sum(status != 201 for status, _ in results)
    tally.latencies += [seconds for _, seconds in results]
    with Session(engine) as session:
        statuses = session.execute(
            select(Registration.status, Registration.waitlist_position).where(
                Registration.group_id == group_id
            )
        ).all()
    confirmed = sum(status is RegistrationStatus.CONFIRMED for status, _ in statuses)
    positions = sorted(p for status, p in statuses if status is RegistrationStatus.WAITLISTED)
    tally.oversold += max(0, confirmed - CAPACITY)
    if confirmed != CAPACITY or positions != list(range(1, ATTEMPTS - CAPACITY + 1)):
        tally.wrong_waiting_lists += 1


def lock_figures(base_url: str) -> dict[str, float]:
    """From the server's /metrics (every worker's registrations of the run): the mean wait
    for a group's lock, the mean time it was held, and how many times it was taken."""
    text = requests.get(f"{base_url}/metrics", timeout=30).text
    totals = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("atelier_group_lock_")
    }
    means = {
        kind: 1000
        * totals[f"atelier_group_lock_{kind}_seconds_sum"]
        / totals[f"atelier_group_lock_{kind}_seconds_count"]
        for kind in ("wait", "held")
    }
    return {**means, "taken": totals["atelier_group_lock_held_seconds_count"]}


def main() -> None:
    """Run the alternating rounds and print the figures against the floor's."""
    tallies = {side: Tally() for side in SERVERS}
    with private_redis() as redis, throwaway_postgres(POSTGRES) as database_url:
        engine = create_db_engine(database_url)
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis.url, "SECRET_KEY": "bench"}
        with (
            served(SERVERS["Atelier"], env) as atelier_url,
            served(SERVERS["floor"], env) as floor_url,
        ):
            base_urls = {"Atelier": atelier_url, "floor": floor_url}
            for round_number in range(ROUNDS):
                # Each side goes first every other round: what the other leaves behind (the
                # database's background work) then weighs on both alike.
                sides = list(base_urls) if round_number % 2 == 0 else list(reversed(base_urls))
                for side in sides:
                    event_slug = f"rush-{side.lower()}-{round_number}"
                    rush(base_urls[side], engine, event_slug, tallies[side])
            lock = lock_figures(atelier_url)
        engine.dispose()
    ours, floor = tallies["Atelier"], tallies["floor"]
    rounds = f"over {ROUNDS} rounds of {ATTEMPTS}"
    for side, tally in tallies.items():
        requirement(f"rush: places oversold ({side}, {rounds})", tally.oversold, "places")
        requirement(f"rush: error responses ({side})", tally.errors, f"of {ATTEMPTS * ROUNDS:,}")
        requirement(
            f"rush: rounds whose places or waiting list are wrong ({side})",
            tally.wrong_waiting_lists,
            f"of {ROUNDS}",
        )
    figure(
        "rush: latency p50",
        1000 * percentile(ours.latencies, 0.5),
        "ms",
        floor=1000 * percentile(floor.latencies, 0.5),
    )
    # Registrations arriving together in one process share one lock (shared.domain.admissions).
    admitted_per_lock = ATTEMPTS * ROUNDS / lock["taken"]
    figure("rush: registrations per group lock, mean (Atelier)", admitted_per_lock, "admitted")
    figure("rush: group lock held each time, mean (Atelier)", lock["held"], "ms")
    figure("rush: wait for the group lock, mean (Atelier)", lock["wait"], "ms")
    against_floor(
        "rush: latency p99",
        1000 * percentile(ours.latencies, 0.99),
        1000 * percentile(floor.latencies, 0.99),
        "ms",
        at_most=LATENCY,
    )


if __name__ == "__main__":
    main()
