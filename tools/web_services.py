"""The three web services in one process, each on its own port: ``make run``'s small profile.

``gunicorn --bind 127.0.0.1:5001 --bind 127.0.0.1:5002 --bind 127.0.0.1:5003
'tools.web_services:create_app()'`` serves registration, notifications and the calendar from
one interpreter holding Flask, SQLAlchemy, the models and the shared code once: 125 MiB with
its gunicorn arbiter, where three processes and their arbiters took 300 (docs/figures.md,
"Memory and start-up"). Each request goes to the service listening on the port it arrived on;
the ports are tools.run_stack's (REGISTRATION_PORT, NOTIFICATIONS_PORT, CALENDAR_PORT). The
services share the worker's threads, and /metrics on each port counts the requests of all
three, each under its ``service`` label.

Before serving, the process migrates the database and loads the demo into it when it holds no
event: with the app it imports anyway, where a process of its own would import it again first
(about two seconds of make run's start). ``python -m tools.web_services`` does only that.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

from services import calendar, notifications, registration
from services.registration.cli import load_demo
from shared.config import RUN_DIR
from shared.migrate import upgrade_database, wait_for_database
from tools.run_stack import SERVICES

# Below gunicorn's worker timeout (60 s, gunicorn.conf.py): a worker still booting then would
# be started again, over and over, where one that fails stops gunicorn and make run with it.
DATABASE_WAIT_S = 30.0

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from flask.ctx import RequestContext


class ByPort:
    """A WSGI application handing each request to the service listening on its local port."""

    def __init__(self, services: dict[int, Flask]) -> None:
        self.services = services

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer with the service of the port the connection came in on."""
        # The listening socket's port, not SERVER_PORT: gunicorn takes that from the Host header.
        port = environ["gunicorn.socket"].getsockname()[1]
        return self.services[port](environ, start_response)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context of the first service, where shared.gunicorn_worker renders the
        refusals gunicorn makes before any service is chosen (the same body in each)."""
        return next(iter(self.services.values())).test_request_context(*args, **kwargs)


def prepare_database(app: Flask) -> None:
    """Bring ``app``'s database to the newest revision and load the demo when it holds no
    event, one process at a time (WEB_CONCURRENCY may start several)."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with (RUN_DIR / "prepare.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wait_for_database(app.config["DATABASE_URL"], DATABASE_WAIT_S)
        upgrade_database(app.config["DATABASE_URL"])
        with app.app_context():
            load_demo.main(["--if-empty"], standalone_mode=False)


def create_app() -> ByPort:
    """The three services, each behind the port tools.run_stack gives it, on a prepared
    database."""
    first = registration.create_app()
    prepare_database(first)
    return ByPort(
        {
            SERVICES["registration"]: first,
            SERVICES["notifications"]: notifications.create_app(),
            SERVICES["calendar"]: calendar.create_app(),
        }
    )


if __name__ == "__main__":
    prepare_database(registration.create_app())
