"""Instructions per registration, counted by valgrind's callgrind: Atelier's process against
the floor's (bench/floor.py), each registering through Flask's test client on PostgreSQL.

Unlike a time, the count does not move with what else the machine is doing, so it shows a
change of a few percent that the rates of bench/registration.py, which move by a fifth from
one run to the next, cannot. It counts the app's own process only (its hand-over thread
included), not PostgreSQL's or Redis's. Each side runs twice under callgrind, with
INSTRUCTIONS_FEW and INSTRUCTIONS_MANY registrations after the same warm-up; the difference
of the two totals, divided by the difference of the counts, leaves out start-up and warm-up.

``python -m bench.instructions <module> <event> <count>`` is what runs under callgrind.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.registration import GROUPS, SERVERS, prepare
from bench.support import POSTGRES, figure, private_redis
from tests.support.databases import throwaway_postgres
from tests.support.servers import service_environment

FEW = int(os.environ.get("INSTRUCTIONS_FEW", "100"))
MANY = int(os.environ.get("INSTRUCTIONS_MANY", "400"))
WARM_UP = 50
COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.M)


def collected(output: str) -> int:
    """The instructions callgrind counted, from what it printed on standard error."""
    found = COLLECTED.search(output)
    if found is None:
        raise ValueError(f"no instruction count in callgrind's output:\n{output[-2000:]}")
    return int(found.group(1))


def per_registration(fewer: tuple[int, int], more: tuple[int, int]) -> float:
    """Instructions per registration from two runs, each given as (registrations, total):
    what both runs spend on starting and warming up cancels out."""
    (fewer_registrations, fewer_total), (more_registrations, more_total) = fewer, more
    return (more_total - fewer_total) / (more_registrations - fewer_registrations)


def counted(module: str, event: str, registrations: int, env: dict[str, str]) -> int:
    """The instructions of one run of :func:`register` under callgrind."""
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={Path(folder) / 'callgrind.out'}",
            sys.executable,
            "-m",
            "bench.instructions",
            module,
            event,
            str(registrations),
        ]
        run = subprocess.run(
            command, env=service_environment(**env), capture_output=True, text=True, check=True
        )
    return collected(run.stderr)


def register(module: str, event: str, registrations: int) -> None:
    """Register the warm-up's addresses, then ``registrations`` more, through the test client
    of ``module``'s app; every one must be admitted."""
    client = importlib.import_module(module).create_app().test_client()
    for number in range(-WARM_UP, registrations):
        body = {
            "group": GROUPS[number % len(GROUPS)],
            "first_name": "Bench",
            "last_name": "Count",
            "email": f"count-{registrations}-{number}@example.org",
            "role": "other",
            "language": "fr",
            "consent": True,
            "commit_all_dates": True,
        }
        answer = client.post(f"/api/v1/events/{event}/registrations", json=body)
        if answer.status_code != 201:
            raise RuntimeError(f"{module}: {answer.status_code} {answer.get_data(as_text=True)}")


def main() -> None:
    """Count both sides' instructions per registration and print them beside each other."""
    with private_redis() as redis, throwaway_postgres(POSTGRES) as database_url:
        prepare(database_url)
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis.url, "SECRET_KEY": "bench"}

        def count(run: tuple[str, int]) -> int:
            side, registrations = run
            return counted(SERVERS[side], side, registrations, env)

        runs = [(side, registrations) for side in SERVERS for registrations in (FEW, MANY)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            totals = dict(zip(runs, pool.map(count, runs), strict=True))
    ours, floor = (
        per_registration((FEW, totals[side, FEW]), (MANY, totals[side, MANY])) for side in SERVERS
    )
    figure(
        "instructions per registration (callgrind, in process)",
        ours / 1e6,
        "million",
        floor=floor / 1e6,
    )


if __name__ == "__main__":
    if len(sys.argv) == 4:
        register(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    else:
        main()
