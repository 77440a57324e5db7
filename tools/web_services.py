"""``make run``'s three web services, each in its own process, forked from one holding what
they share: the small profile's web processes (``python -m tools.web_services``).

The parent imports the libraries and the shared code every service uses (Flask, SQLAlchemy,
marshmallow, Babel, gunicorn, the models...), but no service's code, no app, no connection
and no thread; it has the database migrated, then forks one process per service. Each runs
gunicorn for its service alone, on the port tools.run_stack gives it (gunicorn.conf.py as
for any service: its own master and worker, its own ``create_app()``). The pages the parent
loaded stay shared by all of them until one writes to them, which is what keeps the three
services' memory low (docs/figures.md, "Memory and start-up"). Registration starts last,
once the demo is loaded into a database that holds no event. Migrating and loading the demo
each run in a process of their own (Alembic and a registration app stay out of the parent);
``python -m tools.web_services --prepare-only`` does only that.

The parent passes SIGTERM and SIGINT on to the services and exits when they have; when one
stops of itself, it stops the others and exits with 1, so that tools.run_stack stops too.
"""

from __future__ import annotations

import fcntl
import gc
import importlib
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

from gunicorn.app.wsgiapp import WSGIApplication

from shared.config import RUN_DIR, load_config
from tools.run_stack import SERVICES

# Imported once by the parent for the three services. Not services.*: a service's code is its
# own process's.
SHARED_MODULES = (
    "flask",
    "werkzeug",
    "jinja2",
    "sqlalchemy",
    "marshmallow",
    "flask_smorest",
    "babel",
    "flask_babel",
    "gunicorn.app.wsgiapp",
    "gunicorn.arbiter",
    "shared.gunicorn_worker",
    "shared.app",
    "shared.models",
    "shared.database",
    "shared.i18n",
    "shared.ical",
    "shared.links",
    "shared.outbox",
    "shared.paging",
    "shared.tokens",
    "shared.domain.registrations",
    "shared.domain.staff_feeds",
)
# make run stops, saying why, when its database does not answer within this.
DATABASE_WAIT_S = 30.0


@contextmanager
def preparing() -> Iterator[None]:
    """Hold the run folder's lock on preparing the database: one make run at a time."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with (RUN_DIR / "prepare.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def load_shared_modules() -> None:
    """Import what the services share, metrics kept apart per process."""
    # prometheus_client, imported with shared.app, chooses its per-process files once, at
    # import: it must find this set. Each service's gunicorn then names a folder of its own.
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        tempfile.mkdtemp(
            prefix="atelier-metrics-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
        ),
    )
    for module in SHARED_MODULES:
        importlib.import_module(module)


def run_apart(work: Callable[[], None]) -> bool:
    """Run ``work`` in a forked process and wait for it; whether it succeeded. What it imports
    and makes (Alembic, the registration app) leaves with it rather than staying in the parent."""
    pid = os.fork()
    if pid == 0:
        status = 1
        default_signals()
        try:
            work()
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            leave(status)
    _, wait_status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(wait_status) == 0:
        return True
    print(f"{work.__name__} failed.", file=sys.stderr, flush=True)
    return False


def default_signals() -> None:
    """In a forked process: SIGTERM and SIGINT stop it, where the parent's passed them on."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def migrate() -> None:
    """Bring the database to the newest revision."""
    from shared.migrate import upgrade_database, wait_for_database

    database_url = load_config()["DATABASE_URL"]
    with preparing():
        wait_for_database(database_url, DATABASE_WAIT_S)
        upgrade_database(database_url)


def load_demo_if_empty() -> None:
    """Load the demo into the database when it holds no event."""
    from services.registration import create_app
    from services.registration.cli import load_demo

    with preparing(), create_app().app_context():
        load_demo.main(["--if-empty"], standalone_mode=False)


def gunicorn_application(service: str, port: int) -> WSGIApplication:
    """gunicorn for ``service`` alone on ``port``, its settings read (gunicorn.conf.py)."""
    arguments = sys.argv
    sys.argv = ["gunicorn", "--bind", f"127.0.0.1:{port}", f"services.{service}:create_app()"]
    try:
        return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn")
    finally:
        sys.argv = arguments


def serve(service: str, application: WSGIApplication) -> NoReturn:
    """Run ``application``, the service's gunicorn, in this (forked) process."""
    status = 1
    default_signals()
    gc.enable()
    try:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
            prefix=f"{service}-", dir=os.environ["PROMETHEUS_MULTIPROC_DIR"]
        )
        application.run()
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    finally:
        leave(status)


def leave(status: int) -> NoReturn:
    """End a forked process, its output written first (a pipe or a file buffers it), and
    never back into the parent's code: only the parent waits for its children."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def main(argv: list[str] | None = None) -> int:
    """Prepare, fork a process per service, and wait for them; the exit status of the lot.
    With ``--prepare-only``, only migrate and load the demo."""
    # As the gc module's documentation advises for forking without exec: no collection in the
    # parent leaves freed holes among its objects for the services to fill (writing to the
    # pages they share), and frozen, its objects are never written to by the services' own.
    gc.disable()
    load_shared_modules()
    if not run_apart(migrate):
        return 1
    if (argv if argv is not None else sys.argv[1:]) == ["--prepare-only"]:
        return 0 if run_apart(load_demo_if_empty) else 1
    # Read here, once, where each service's process would otherwise write to the pages of
    # hundreds of shared objects reading them (about 2 MiB each).
    applications = {
        service: gunicorn_application(service, port) for service, port in SERVICES.items()
    }
    gc.freeze()
    children: dict[int, str] = {}
    stopping = False
    status = 0

    def stop(signum: int, _frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            os.kill(pid, signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Registration last, once the demo is in: the other two start meanwhile.
    for service, application in sorted(
        applications.items(), key=lambda item: item[0] == "registration"
    ):
        if service == "registration" and not run_apart(load_demo_if_empty):
            status = 1
            stop(signal.SIGTERM)
        if stopping:
            break
        pid = os.fork()
        if pid == 0:
            serve(service, application)
        children[pid] = service
    while children:
        pid, _ = os.wait()
        service = children.pop(pid, None)
        if service is not None and not stopping:
            print(
                f"{service} stopped; stopping the other web services.", file=sys.stderr, flush=True
            )
            status = 1
            stop(signal.SIGTERM)
    return status


if __name__ == "__main__":
    sys.exit(main())
