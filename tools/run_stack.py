"""``make run``: the whole stack in the foreground on embedded defaults; Ctrl-C stops it all.

SQLite under ./run, the Redis at REDIS_URL (one is started when none answers), outgoing mail
to a local sink writing .eml files under ./run/mail unless MAIL_SERVER is set; the web
processes migrate the database and load the demo into it when empty before serving. The
processes follow the small profile (docs/production.md): one gunicorn worker per web service,
its threads serving as many requests at once as the production profile's workers, each
service in its own process forked from one holding what they share (tools.web_services), and
one Celery worker that also runs beat; WEB_CONCURRENCY and CELERY_CONCURRENCY change the
counts.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from shared.config import PROJECT_ROOT, RUN_DIR

SERVICES = {
    "registration": int(os.environ.get("REGISTRATION_PORT", "5001")),
    "notifications": int(os.environ.get("NOTIFICATIONS_PORT", "5002")),
    "calendar": int(os.environ.get("CALENDAR_PORT", "5003")),
}
MAIL_SINK_PORT = 8025
# The small profile's process counts, unless the environment sets them.
SMALL_PROFILE = {
    "WEB_CONCURRENCY": "1",
    "CELERY_CONCURRENCY": "1",
    # glibc gives each thread that allocates an arena of its own, which keeps what it freed:
    # two are enough for processes whose threads mostly wait on the database.
    "MALLOC_ARENA_MAX": "2",
}


def answers(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def commands(env: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Every process of the stack, named."""
    python = sys.executable
    run: list[tuple[str, list[str]]] = []
    redis = urlparse(env["REDIS_URL"])
    if not answers(redis.hostname or "127.0.0.1", redis.port or 6379):
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            sys.exit("No Redis answers at REDIS_URL and redis-server is not installed.")
        run.append(
            (
                "redis",
                [
                    redis_server,
                    "--port",
                    str(redis.port or 6379),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--dir",
                    str(RUN_DIR),
                ],
            )
        )
    if "MAIL_SERVER" not in os.environ:
        mail_folder = RUN_DIR / "mail"
        run.append(
            (
                "mail",
                [
                    python,
                    "-m",
                    "tools.mail_sink",
                    "--port",
                    env["MAIL_PORT"],
                    "--folder",
                    str(mail_folder),
                ],
            )
        )
    run.append(("web", web_services(python)))
    run.append(("worker", notification_worker(python)))
    return run


def web_services(python: str) -> list[str]:
    """The web services, each in a gunicorn process of its own, forked from one that holds the
    libraries and shared code they all use (tools.web_services)."""
    return [python, "-m", "tools.web_services"]


def notification_worker(python: str) -> list[str]:
    """The Celery worker that sends mail and does the housekeeping, running beat as well (-B),
    which schedules the sweep and the reminders (its schedule file under the run folder).

    Beat inside the worker is safe here because this is the installation's only worker: two
    of them would each schedule every periodic job.
    """
    return [
        python,
        "-m",
        "celery",
        "-A",
        "services.notifications.worker",
        "worker",
        "--beat",
        "--schedule",
        str(RUN_DIR / "celerybeat-schedule"),
        "--queues",
        "mail,housekeeping",
        "--loglevel",
        "INFO",
    ]


def mail_destination(env: dict[str, str]) -> str:
    """Where outgoing mail ends up, for the banner."""
    if "MAIL_SERVER" in os.environ:
        return f"SMTP server {env['MAIL_SERVER']}:{env['MAIL_PORT']}"
    return f"{Path(RUN_DIR) / 'mail'} (one .eml file per message, newest last)"


def main() -> None:
    """Start everything, wait for Ctrl-C, stop everything."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    env = {**SMALL_PROFILE, **os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("MAIL_PORT", str(MAIL_SINK_PORT))
    processes = [
        (name, subprocess.Popen(args, env=env, cwd=PROJECT_ROOT, start_new_session=True))
        for name, args in commands(env)
    ]
    print(
        "\nAtelier is running:\n"
        f"  registration  http://127.0.0.1:{SERVICES['registration']}/  "
        f"(API docs: /api/v1/docs)\n"
        f"  notifications http://127.0.0.1:{SERVICES['notifications']}/healthz\n"
        f"  calendar      http://127.0.0.1:{SERVICES['calendar']}/\n"
        f"  emails        {mail_destination(env)}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        while all(process.poll() is None for _, process in processes):
            time.sleep(0.5)
        for name, process in processes:
            if process.poll() is not None:
                print(f"{name} exited with status {process.returncode}; stopping.", flush=True)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        for _, process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
