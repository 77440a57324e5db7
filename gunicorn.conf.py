"""Gunicorn settings shared by the web services:
``gunicorn -c gunicorn.conf.py 'services.registration:create_app()'``."""

from __future__ import annotations

import os
import tempfile


def cores_available() -> int:
    """CPU cores this process may run on (a container's cpuset included)."""
    return len(os.sched_getaffinity(0)) or 1


# Requests a service serves at once per core: by default two processes of four threads each,
# since requests mostly wait on the database. Fewer processes (WEB_CONCURRENCY) share them out
# as more threads each, the small profile's one process all of them (docs/production.md).
THREADS_PER_CORE = 8
MIN_THREADS = 4


def worker_count() -> int:
    """WEB_CONCURRENCY when set, else two workers per core: requests mostly wait on the database."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(configured) if configured else 2 * cores_available()


def thread_count(workers: int) -> int:
    """Threads per worker: the service's share per core spread over its workers, four at least."""
    return max(MIN_THREADS, -(-THREADS_PER_CORE * cores_available() // workers))


bind = ["0.0.0.0:8000"]
workers = worker_count()
# gunicorn's threaded worker, answering the requests gunicorn refuses by itself (beyond the
# limits below, or unreadable) in the services' JSON error shape rather than in HTML.
worker_class = "shared.gunicorn_worker.JsonErrorWorker"
threads = thread_count(workers)
# Above the services' own limits (shared.app.MAX_TARGET_LENGTH, MAX_HEADER_LENGTH), so that a
# request merely too long is answered by the service itself, which reads its language, and
# only an absurd one by gunicorn. 8190 is the most it accepts.
limit_request_line = 8190
limit_request_field_size = 16380
timeout = 60
graceful_timeout = 30
keepalive = 5
# Heartbeat files on the container's overlay filesystem can stall workers; memory cannot.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No access log of gunicorn's own: it prints each path whole, and paths carry manage and
# calendar tokens. Each service logs every request itself, naming its route's template.
accesslog = None
errorlog = "-"
# gunicorn's control socket lives in $HOME by default: the three services of one host would
# share it, and a command sent to one could reach another. Nothing here uses it.
control_socket_disable = True
# The ports are published on the loopback interface only, so every peer is the reverse proxy,
# whose X-Forwarded-Proto tells which requests arrived over HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")


def on_starting(_server: object) -> None:
    """Give the workers a folder where each counts its requests; /metrics adds them up.

    Set before any worker imports prometheus_client, which reads it once, at import.
    """
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        tempfile.mkdtemp(prefix="atelier-metrics-", dir=worker_tmp_dir),
    )


def child_exit(_server: object, worker: object) -> None:
    """Forget a finished worker's live gauges (its counters stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
