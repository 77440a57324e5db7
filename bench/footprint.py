"""What the whole stack needs: the memory (PSS) of every process and the time until it is
healthy, in the small profile and in the production one (docs/production.md), and what the
small profile costs in speed.

Three stacks are started in turn and measured once they have served requests (pages, feeds,
API documents, a registration whose email the Celery worker delivers to a mail sink):

- ``make run`` as it stands: ``python -m tools.run_stack`` on its embedded defaults (SQLite
  under a fresh run folder, its own Redis and mail sink), every process it starts counted,
  itself included. Targets: at most 400 MiB, healthy within 10 s of its start.
- the same on PostgreSQL, the small profile beside the production one on the same database;
- the production profile: the commands of docker-compose.yml's Atelier services (their ports
  and beat's schedule file moved to this machine) and Redis; PostgreSQL and the SMTP server
  are the installation's own, counted in neither.

Time to healthy runs from the start of the first process until every web service's
``/healthz`` answers 200 and every Celery worker has said it is ready; ``make run``'s web
processes migrate the database and load the demo before serving, which is counted.

Then the registration service on PostgreSQL, under gunicorn.conf.py, in the small profile
(make run's one process of threads, forked as make run forks it) and the production one
(alone, two processes per core), in the same run: registrations per second at 50 clients
(bench.registration's load, alternating rounds) and the opening rush (bench.rush's rounds);
targets: the small profile within 0.9× of the production one, its rush p99 at most 1/0.9× of
the production one's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml
from sqlalchemy.orm import Session

from bench.registration import CLIENTS, ROUNDS, SECONDS, WARM_UP_SECONDS, register_script
from bench.rush import ROUNDS as RUSH_ROUNDS
from bench.rush import Tally, rush
from bench.support import (
    POSTGRES,
    LoadResult,
    against_floor,
    best,
    figure,
    private_redis,
    requirement,
    target,
    wrk,
)
from shared.database import create_db_engine
from tests.support.databases import throwaway_postgres
from tests.support.factories import Factory
from tests.support.load import percentile
from tests.support.servers import (
    PROJECT_ROOT,
    ManagedProcess,
    free_port,
    listening_processes,
    service_environment,
    wait_for_http,
)
from tools.run_stack import SMALL_PROFILE

MEMORY_MIB = 400  # make run's whole stack, after serving requests
HEALTHY_S = 10.0  # from make run's start
SPEED = 0.9  # the small profile's registrations per second, at least this fraction
WEB_SERVICES = ("registration", "notifications", "calendar")
# Settings of this machine's environment that would change the profile measured.
PROFILE_SETTINGS = ("WEB_CONCURRENCY", "CELERY_CONCURRENCY", "DATABASE_URL", "MAIL_SERVER")
STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Footprint:
    """A stack's processes with their PSS in KiB, and its seconds to healthy."""

    processes: list[tuple[str, int]]
    healthy_s: float

    @property
    def total_mib(self) -> float:
        """The whole stack's PSS."""
        return sum(kib for _, kib in self.processes) / 1024


def pss_kib(pid: int) -> int:
    """The proportional set size of a process (0 when it has gone)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))


def parents() -> dict[int, int]:
    """Every process of the machine and its parent."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The name, in parentheses, may hold spaces: the fields after it are plain.
            found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it."""
    children = defaultdict(list)
    for pid, parent in parents().items():
        children[parent].append(pid)
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children[pid])
    return tree


def command_line(pid: int | None) -> str:
    """A process's command line, "" when it has gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
    except OSError:
        return ""


def describe(pid: int, services: dict[int, str]) -> str:
    """What a process of the stack is, from its command line and its parent's, and from
    ``services``, the web service whose port each process listening on one serves."""
    line = command_line(pid)
    # Forked children (gunicorn's workers, Celery's pool and embedded beat, make run's web
    # services) keep their parent's command line.
    parent = command_line(parents().get(pid))
    if "redis-server" in line:
        return "redis"
    if "mail_sink" in line:
        return "mail sink"
    if "tools.run_stack" in line:
        return "make run (supervisor)"
    role = "worker" if "gunicorn" in parent else "arbiter"
    if "tools.web_services" in line:
        if pid not in services:
            return "web services: parent (the libraries they share)"
        # A service's gunicorn master is a child of the parent, its worker a grandchild.
        forked = "tools.web_services" in command_line(parents().get(parents().get(pid)))
        return f"{services[pid]}: gunicorn {'worker' if forked else 'arbiter'}"
    for service in WEB_SERVICES:
        if "gunicorn" in line and f"services.{service}:" in line:
            return f"{service}: gunicorn {role}"
    if "celery" in line:
        role = "beat" if " beat " in line else "worker"
        if "--queues housekeeping" in line:
            role = "housekeeping"
        return f"celery {role}: {'child (pool or -B beat)' if 'celery' in parent else 'main'}"
    return line[:60] or "gone"


def footprint(roots: list[int], healthy_s: float, ports: dict[str, int]) -> Footprint:
    """The PSS of every process under ``roots``, the web services listening on ``ports``."""
    services = {
        pid: service for service, port in ports.items() for pid in listening_processes(port)
    }
    processes = []
    for root in roots:
        for pid in process_tree(root):
            processes.append((describe(pid, services), pss_kib(pid)))
    return Footprint(sorted(processes), healthy_s)


def wait_until_healthy(
    urls: dict[str, str], logs: list[Path], workers: int, started: float
) -> float:
    """Seconds from ``started`` until every service's /healthz answers 200 and ``workers``
    Celery workers said they are ready in ``logs``."""
    pending = set(urls)
    deadline = started + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        for service in list(pending):
            try:
                if requests.get(f"{urls[service]}/healthz", timeout=1).status_code == 200:
                    pending.discard(service)
            except requests.RequestException:
                pass
        ready = sum(
            log.read_text(errors="replace").count(" ready.") for log in logs if log.exists()
        )
        if not pending and ready >= workers:
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"not healthy after {STARTUP_TIMEOUT_S:.0f} s: {sorted(pending)}")


def serve_requests(urls: dict[str, str], mail: Path) -> None:
    """Pages, feeds, API documents and one registration, whose email must reach ``mail``."""
    registration, calendar = urls["registration"], urls["calendar"]
    events = requests.get(f"{registration}/api/v1/events", timeout=30).json()
    events = events if isinstance(events, list) else next(iter(events.values()))
    for _ in range(3):
        for url in (
            f"{registration}/",
            f"{registration}/api/v1/docs",
            f"{registration}/api/v1/openapi.json",
            f"{registration}/events/{events[0]['slug']}",
            f"{calendar}/",
            f"{calendar}/feeds/all.ics",
            f"{calendar}/feeds/events/{events[0]['slug']}.ics",
            f"{urls['notifications']}/api/v1/openapi.json",
        ):
            requests.get(url, timeout=30)
    register(registration, events)
    deadline = time.monotonic() + 60
    while not any(mail.glob("*.eml")):
        if time.monotonic() > deadline:
            raise TimeoutError("the registration's email did not arrive within 60 s")
        time.sleep(0.1)


def register(base_url: str, events: list[dict]) -> None:
    """Register on the first group that takes the registration."""
    for event in events:
        for group in event.get("groups", []):
            answer = requests.post(
                f"{base_url}/api/v1/events/{event['slug']}/registrations",
                json={
                    "group": group["slug"],
                    "first_name": "Mesure",
                    "last_name": "Mémoire",
                    "email": "mesure@example.org",
                    "role": "other",
                    "language": "fr",
                    "consent": True,
                    "commit_all_dates": True,
                },
                timeout=30,
            )
            if answer.ok:
                return
    raise RuntimeError("no group of the demo took a registration")


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without the settings that choose a profile, plus ``settings``."""
    env = {name: value for name, value in os.environ.items() if name not in PROFILE_SETTINGS}
    return {**env, "PYTHONPATH": str(PROJECT_ROOT), **settings}


def make_run(database_url: str | None = None) -> Footprint:
    """``make run``'s stack (tools.run_stack) in a fresh run folder, measured."""
    with tempfile.TemporaryDirectory() as folder:
        ports = {service: free_port() for service in WEB_SERVICES}
        env = clean_environment(
            ATELIER_RUN_DIR=folder,
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
            MAIL_PORT=str(free_port()),
            **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
            **({"DATABASE_URL": database_url} if database_url else {}),
        )
        log = Path(folder) / "stack.log"
        started = time.monotonic()
        with log.open("wb") as output:
            stack = subprocess.Popen(
                [sys.executable, "-m", "tools.run_stack"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
            healthy_s = wait_until_healthy(urls, [log], 1, started)
            serve_requests(urls, Path(folder) / "mail")
            return footprint([stack.pid], healthy_s, ports)
        finally:
            stack.send_signal(signal.SIGTERM)  # it stops every process it started
            stack.wait(timeout=60)


def compose_commands(ports: dict[str, int], folder: Path) -> dict[str, list[str]]:
    """The command of each Atelier service of docker-compose.yml, as run on this machine."""
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    commands = {}
    for name, spec in compose["services"].items():
        if "build" not in spec or name == "migrate":
            continue
        program, *arguments = spec["command"]
        argv = [sys.executable, "-m", program, *arguments]
        if program == "gunicorn":
            argv[-1:-1] = ["--bind", f"127.0.0.1:{ports[name]}"]
        if "--schedule" in argv:
            argv[argv.index("--schedule") + 1] = str(folder / "celerybeat-schedule")
        commands[name] = argv
    return commands


def production_profile(database_url: str) -> Footprint:
    """docker-compose.yml's Atelier processes and Redis, on ``database_url``, measured."""
    with tempfile.TemporaryDirectory() as name, ExitStack() as stack:
        folder = Path(name)
        mail_port = free_port()
        sink = ManagedProcess(
            [
                sys.executable,
                "-m",
                "tools.mail_sink",
                "--port",
                str(mail_port),
                "--folder",
                str(folder / "mail"),
            ],
            folder / "mail.log",
            clean_environment(),
        ).start()
        stack.callback(sink.stop)
        ports = {service: free_port() for service in WEB_SERVICES}
        started = time.monotonic()
        redis = stack.enter_context(private_redis())
        env = clean_environment(
            ATELIER_RUN_DIR=name,
            DATABASE_URL=database_url,
            REDIS_URL=redis.url,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(mail_port),
            SECRET_KEY="bench",
        )
        processes = {}
        for service, argv in compose_commands(ports, folder).items():
            process = ManagedProcess(argv, folder / f"{service}.log", env).start()
            stack.callback(process.stop)
            processes[service] = process
        urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
        workers = [folder / f"{name}.log" for name in processes if name not in urls]
        # beat says nothing like " ready.": only the Celery workers are waited for.
        healthy_s = wait_until_healthy(urls, workers, len(workers) - 1, started)
        serve_requests(urls, folder / "mail")
        roots = [redis.process.pid, *(process.process.pid for process in processes.values())]
        return footprint(roots, healthy_s, ports)


def report(name: str, measured: Footprint) -> None:
    """Print every process of a stack and the total."""
    print(
        f"-- {name}: {len(measured.processes)} processes, healthy after {measured.healthy_s:.1f} s",
        flush=True,
    )
    for process, kib in measured.processes:
        print(f"   {kib / 1024:7.1f} MiB  {process}")
    figure(f"{name}: memory (PSS) after serving requests", round(measured.total_mib, 1), "MiB")


@contextmanager
def registration_server(database_url: str, redis_url: str, workers: int) -> Iterator[str]:
    """The registration service under gunicorn.conf.py with ``workers`` processes; with one,
    the small profile, as make run starts it (tools.web_services, the other two beside it)."""
    with tempfile.TemporaryDirectory() as folder:
        ports = {service: free_port() for service in WEB_SERVICES}
        if workers == 1:
            argv = [sys.executable, "-m", "tools.web_services"]
        else:
            app = "services.registration:create_app()"
            bind = f"--bind=127.0.0.1:{ports['registration']}"
            argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", bind, app]
        env = service_environment(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SECRET_KEY="bench",
            WEB_CONCURRENCY=str(workers),
            ATELIER_RUN_DIR=folder,
            **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
        )
        server = ManagedProcess(argv, Path(folder) / "gunicorn.log", env).start()
        try:
            url = f"http://127.0.0.1:{ports['registration']}"
            wait_for_http(f"{url}/livez", timeout=60)
            yield url
        finally:
            server.stop()


def speed() -> None:
    """Registrations per second and the rush, small profile against production profile."""
    profiles = {
        "small": int(SMALL_PROFILE["WEB_CONCURRENCY"]),
        "production": 2 * len(os.sched_getaffinity(0)),
    }
    with private_redis() as redis, throwaway_postgres(POSTGRES) as database_url:
        engine = create_db_engine(database_url)
        with Session(engine) as session:
            make = Factory(session)
            for profile in profiles:
                event = make.event(slug=profile)
                for slug in ("charleroi", "jambes", "court-saint-etienne", "liege"):
                    make.group(event, slug=slug, capacity=1_000_000)
        with ExitStack() as servers:
            urls = {
                profile: servers.enter_context(
                    registration_server(database_url, redis.url, workers)
                )
                for profile, workers in profiles.items()
            }

            def registrations(profile: str, run: str, seconds: int) -> LoadResult:
                url = f"{urls[profile]}/api/v1/events/{profile}/registrations"
                return wrk(url, connections=CLIENTS, seconds=seconds, script=register_script(run))

            runs = defaultdict(list)
            for profile in profiles:
                registrations(profile, f"warm-{profile}", WARM_UP_SECONDS)
            tallies = {profile: Tally() for profile in profiles}
            for round_number in range(max(ROUNDS, RUSH_ROUNDS)):
                # Each profile goes first every other round: what the other leaves behind
                # weighs on both alike.
                order = list(profiles) if round_number % 2 == 0 else list(reversed(profiles))
                for profile in order:
                    if round_number < ROUNDS:
                        runs[profile].append(registrations(profile, str(round_number), SECONDS))
                    if round_number < RUSH_ROUNDS:
                        slug = f"rush-{profile}-{round_number}"
                        rush(urls[profile], engine, slug, tallies[profile])
        engine.dispose()
    small, production = best(runs["small"]), best(runs["production"])
    workers = ", ".join(f"{profile} {count}" for profile, count in profiles.items())
    against_floor(
        f"small profile: registrations ({CLIENTS} clients; processes: {workers})",
        small.requests_per_s,
        production.requests_per_s,
        "req/s",
        at_least=SPEED,
        versus="production profile",
    )
    figure(
        "small profile: registration latency p99",
        small.p99_ms,
        "ms",
        floor=production.p99_ms,
        versus="production profile",
    )
    for profile, tally in tallies.items():
        requirement(f"small profile: rush errors ({profile})", tally.errors, "responses")
        requirement(f"small profile: rush places oversold ({profile})", tally.oversold, "places")
        requirement(
            f"small profile: rush rounds with a wrong waiting list ({profile})",
            tally.wrong_waiting_lists,
            f"of {RUSH_ROUNDS}",
        )
    figure(
        "small profile: rush latency p50",
        1000 * percentile(tallies["small"].latencies, 0.5),
        "ms",
        floor=1000 * percentile(tallies["production"].latencies, 0.5),
        versus="production profile",
    )
    against_floor(
        "small profile: rush latency p99",
        1000 * percentile(tallies["small"].latencies, 0.99),
        1000 * percentile(tallies["production"].latencies, 0.99),
        "ms",
        at_most=round(1 / SPEED, 2),
        versus="production profile",
    )
    requirement("small profile: registration errors", small.errors, f"of {small.requests:,}")


def main() -> None:
    """Measure the three stacks, then the speed of the two profiles."""
    ours = make_run()
    report("make run (small profile, SQLite)", ours)
    target(
        "make run: memory (PSS) after serving requests", ours.total_mib, "MiB", at_most=MEMORY_MIB
    )
    target("make run: seconds to healthy", ours.healthy_s, "s", at_most=HEALTHY_S)
    with throwaway_postgres(POSTGRES) as small_url, throwaway_postgres(POSTGRES) as production_url:
        report("small profile on PostgreSQL (make run's processes)", make_run(small_url))
        # Migrated and given the demo as make run's web processes do it.
        subprocess.run(
            [sys.executable, "-m", "tools.web_services", "--prepare-only"],
            cwd=PROJECT_ROOT,
            env=clean_environment(DATABASE_URL=production_url),
            check=True,
        )
        report(
            "production profile on PostgreSQL (docker-compose.yml's processes)",
            production_profile(production_url),
        )
    speed()


if __name__ == "__main__":
    main()
