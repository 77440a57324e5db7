"""Registrations per second and their latency at 50 concurrent clients on PostgreSQL, beside
the same server's throughput on a trivial endpoint."""

from __future__ import annotations

import os

from sqlalchemy.orm import Session

from bench.support import POSTGRES, figure, private_redis, served, wrk
from shared.database import create_db_engine
from tests.support.databases import throwaway_postgres
from tests.support.factories import Factory

CLIENTS = 50
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
GROUPS = ("charleroi", "jambes", "court-saint-etienne", "liege")

# Every request registers a new address, spread over the event's four groups.
LUA_GROUPS = ", ".join(f'"{slug}"' for slug in GROUPS)
REGISTER_SCRIPT = (
    f"local groups = {{{LUA_GROUPS}}}\n"
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
    '{"group":"%s","first_name":"Bench","last_name":"Load","email":"b%d-%d@example.org",'
    .. '"role":"other","language":"fr","consent":true,"commit_all_dates":true}',
    groups[(counter % #groups) + 1], thread_id, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""
)


def prepare(database_url: str) -> None:
    """An open event with four groups large enough never to fill during the run."""
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        make = Factory(session)
        event = make.event(slug="bench")
        for slug in GROUPS:
            make.group(event, slug=slug, capacity=1_000_000)
    engine.dispose()


def main() -> None:
    """Measure and print the figures."""
    with private_redis() as redis, throwaway_postgres(POSTGRES) as database_url:
        prepare(database_url)
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis.url, "SECRET_KEY": "bench"}
        with served("registration", env) as base_url:
            wrk(f"{base_url}/livez", connections=CLIENTS, seconds=2)  # warm up
            trivial = wrk(f"{base_url}/livez", connections=CLIENTS, seconds=SECONDS)
            registering = wrk(
                f"{base_url}/api/v1/events/bench/registrations",
                connections=CLIENTS,
                seconds=SECONDS,
                script=REGISTER_SCRIPT,
            )
    figure("trivial endpoint (GET /livez)", trivial.requests_per_s, "req/s")
    figure(
        "registrations (POST, PostgreSQL, 50 clients)",
        registering.requests_per_s,
        "req/s",
        baseline=trivial.requests_per_s,
    )
    figure("registration latency p50", registering.p50_ms, "ms")
    figure("registration latency p99", registering.p99_ms, "ms")
    figure("registration errors", registering.errors, f"of {registering.requests} requests")


if __name__ == "__main__":
    main()
