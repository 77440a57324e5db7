"""The opening rush: 1,000 simultaneous registration attempts on one 20-place group, through
gunicorn on PostgreSQL, ten times: nothing oversold, no errors, p99 latency."""

from __future__ import annotations

import os

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.support import POSTGRES, figure, private_redis, served
from shared.database import create_db_engine
from shared.models import Registration, RegistrationStatus
from tests.support.databases import throwaway_postgres
from tests.support.factories import Factory
from tests.support.load import all_at_once, percentile, timed

ATTEMPTS = int(os.environ.get("RUSH_ATTEMPTS", "1000"))
ROUNDS = int(os.environ.get("RUSH_ROUNDS", "10"))
CAPACITY = 20


def rush(base_url: str, engine, round_number: int) -> tuple[int, int, list[float]]:
    """One rush on a fresh group: (confirmed in the database, error responses, latencies)."""
    with Session(engine) as session:
        make = Factory(session)
        group = make.group(make.event(slug=f"rush-{round_number}"), capacity=CAPACITY)
        group_id, slug = group.id, group.slug
    url = f"{base_url}/api/v1/events/rush-{round_number}/registrations"

    def attempt(i: int) -> tuple[int, float]:
        body = {
            "group": slug,
            "first_name": "Rush",
            "last_name": f"N{i}",
            "email": f"rush{round_number}-{i}@example.org",
            "role": "other",
            "consent": True,
            "commit_all_dates": True,
        }
        response, seconds = timed(lambda: requests.post(url, json=body, timeout=120))
        return response.status_code, seconds

    results = all_at_once(ATTEMPTS, attempt)
    with Session(engine) as session:
        confirmed = session.scalar(
            select(func.count(Registration.id)).where(
                Registration.group_id == group_id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
    errors = sum(status != 201 for status, _ in results)
    return confirmed, errors, [seconds for _, seconds in results]


def main() -> None:
    """Run the rounds and print the figures."""
    oversold = errors = 0
    latencies: list[float] = []
    with private_redis() as redis, throwaway_postgres(POSTGRES) as database_url:
        engine = create_db_engine(database_url)
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis.url, "SECRET_KEY": "bench"}
        with served("registration", env) as base_url:
            for round_number in range(ROUNDS):
                confirmed, round_errors, round_latencies = rush(base_url, engine, round_number)
                oversold += max(0, confirmed - CAPACITY)
                errors += round_errors
                latencies += round_latencies
        engine.dispose()
    attempts = ATTEMPTS * ROUNDS
    figure(f"rush: places oversold over {ROUNDS} rounds of {ATTEMPTS}", oversold, "places")
    figure("rush: error responses", errors, f"of {attempts} attempts")
    figure("rush: latency p50", 1000 * percentile(latencies, 0.5), "ms")
    figure("rush: latency p99", 1000 * percentile(latencies, 0.99), "ms")


if __name__ == "__main__":
    main()
