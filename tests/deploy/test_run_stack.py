"""``make run`` starts the small profile: one gunicorn worker per web service, serving with
threads, each service in its own processes forked from one holding what they share
(tools.web_services), and one Celery worker that runs beat as well (docs/production.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.databases import throwaway_database
from tests.support.servers import (
    ManagedProcess,
    RedisServer,
    free_port,
    listening_processes,
    running,
    service_environment,
    wait_for_http,
)
from tools import run_stack


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The stack's commands, the mail server being someone else's."""
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "MAIL_PORT": "587"}
    return {name: argv for name, argv in run_stack.commands(env) if name != "redis"}


def test_what_a_forked_step_prints_reaches_a_pipe() -> None:
    # make run's output may go to a file or a pipe, where it is buffered: a step run apart
    # (the demo's load) must write it before its process ends.
    step = "from tools.web_services import run_apart; run_apart(lambda: print('demo loaded'))"
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    ran = subprocess.run(
        [sys.executable, "-c", step],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=buffered,
    )

    assert ran.stdout == "demo loaded\n"


def test_the_web_services_leave_their_process_count_to_the_gunicorn_settings(commands) -> None:
    assert commands["web"][1:] == ["-m", "tools.web_services"]
    assert not [argv for argv in commands.values() if "gunicorn" in argv]
    assert run_stack.SMALL_PROFILE["WEB_CONCURRENCY"] == "1"


def test_one_celery_worker_runs_beat_too(commands) -> None:
    celery = [argv for argv in commands.values() if "celery" in argv]

    assert len(celery) == 1
    assert "--beat" in celery[0]
    assert run_stack.SMALL_PROFILE["CELERY_CONCURRENCY"] == "1"


@dataclass(frozen=True)
class WebServices:
    """make run's web processes: the parent that forked them, each service's port."""

    parent: ManagedProcess
    ports: dict[str, int]

    def url(self, service: str) -> str:
        """The service's base URL."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def processes(self, service: str) -> set[int]:
        """The processes listening on the service's port: its gunicorn master and worker."""
        return listening_processes(self.ports[service])

    def master(self, service: str) -> int:
        """The service's gunicorn master, the parent's child."""
        assert self.parent.process is not None
        (master,) = [
            pid for pid in self.processes(service) if parent_of(pid) == self.parent.process.pid
        ]
        return master


def parent_of(pid: int) -> int:
    """A process's parent."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


@pytest.fixture
def web_services(
    tmp_path: Path, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebServices]:
    """make run's web processes, in the small profile, on a fresh, empty database."""
    ports = {service: free_port() for service in run_stack.SERVICES}
    monkeypatch.setattr(run_stack, "SERVICES", ports)
    with throwaway_database(tmp_path, os.environ.get("DATABASE_URL")) as database_url:
        # As make run starts them: one gunicorn worker per service.
        env = service_environment(
            **run_stack.SMALL_PROFILE,
            DATABASE_URL=database_url,
            REDIS_URL=redis_server.url,
            ATELIER_RUN_DIR=str(tmp_path / "run"),
            **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
        )
        process = ManagedProcess(run_stack.web_services(sys.executable), tmp_path / "web.log", env)
        with running(process):
            services = WebServices(process, ports)
            for service in ports:
                wait_for_http(f"{services.url(service)}/livez", timeout=60)
            yield services


def test_each_service_runs_in_processes_of_its_own(web_services: WebServices) -> None:
    processes = {service: web_services.processes(service) for service in web_services.ports}

    for service, pids in processes.items():
        # Its master and worker, forked from the parent, which serves nothing itself.
        assert len(pids) == 2, (service, pids)
        master = web_services.master(service)
        assert [parent_of(pid) for pid in pids - {master}] == [master]
    registration, notifications, calendar = processes.values()
    assert not registration & notifications
    assert not registration & calendar
    assert not notifications & calendar


def test_each_port_answers_with_its_own_service_on_the_demo(web_services: WebServices) -> None:
    urls = {service: web_services.url(service) for service in web_services.ports}
    registration, calendar = urls["registration"], urls["calendar"]

    events = requests.get(f"{registration}/api/v1/events", timeout=30)
    assert events.status_code == 200
    assert "seance-information-formations" in events.text  # the demo, loaded at start
    feed = requests.get(f"{calendar}/feeds/all.ics", timeout=30)
    assert feed.status_code == 200
    assert feed.text.startswith("BEGIN:VCALENDAR")
    assert requests.get(f"{registration}/feeds/all.ics", timeout=30).status_code == 404
    titles = {
        service: requests.get(f"{url}/api/v1/openapi.json", timeout=30).json()["info"]["title"]
        for service, url in urls.items()
        if service != "calendar"
    }
    assert titles["registration"] != titles["notifications"]
    for url in urls.values():
        assert requests.get(f"{url}/healthz", timeout=30).status_code == 200
        # Refused by gunicorn before any service is chosen, still in the services' JSON shape.
        refused = requests.get(f"{url}/{'x' * 9000}", timeout=30)
        assert refused.status_code == 414
        assert refused.json()["status"] == 414


def wait_for_exit(process: ManagedProcess, timeout: float = 45.0) -> int:
    """The exit status of ``process``, once it has exited."""
    assert process.process is not None
    return process.process.wait(timeout=timeout)


def test_a_service_stopping_stops_the_others_and_the_parent(web_services: WebServices) -> None:
    processes = set().union(*(web_services.processes(s) for s in web_services.ports))

    os.kill(web_services.master("calendar"), signal.SIGTERM)

    # make run's supervisor sees its web process end, and stops the stack.
    assert wait_for_exit(web_services.parent) == 1
    assert "calendar stopped" in web_services.parent.log()
    assert not still_running(processes), "no process left behind"


def test_sigterm_stops_every_web_process(web_services: WebServices) -> None:
    processes = set().union(*(web_services.processes(s) for s in web_services.ports))
    assert web_services.parent.process is not None

    # The parent alone: it passes the signal on (the supervisor signals the whole group).
    os.kill(web_services.parent.process.pid, signal.SIGTERM)

    assert wait_for_exit(web_services.parent) == 0
    assert not still_running(processes), "no process left behind"


def still_running(pids: set[int], timeout: float = 30.0) -> set[int]:
    """Those of ``pids`` still running after waiting up to ``timeout`` for them to go."""
    deadline = time.monotonic() + timeout
    while (alive := {pid for pid in pids if running_now(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def running_now(pid: int) -> bool:
    """Whether the process runs (a zombie, waiting to be reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
