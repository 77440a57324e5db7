"""Emails per second through the whole pipeline (outbox → Redis → Celery worker → SMTP sink),
beside raw smtplib sending the same messages to the same sink.

Set up as in production: PostgreSQL (a throwaway database on the server BENCH_POSTGRES_URL
names) and one prefork worker process per core. Each worker process keeps its SMTP
connection open for the messages that follow each other, so the baseline does the same
SMTP work per message: one smtplib connection kept open, and for each message MAIL FROM,
RCPT TO and DATA of the bytes the pipeline produced (already rendered, .ics included). The
sink is the local one of ``make run`` (tools/mail_sink.py, one .eml file per message).
"""

from __future__ import annotations

import os
import smtplib
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.support import POSTGRES
from shared.database import db
from shared.domain.registrations import Participant, register
from shared.models import OutboxMessage, Role
from shared.outbox import publish
from tests.support.databases import throwaway_postgres
from tests.support.factories import Factory
from tests.support.mail import CeleryWorker
from tests.support.servers import ManagedProcess, RedisServer, free_port, wait_for_port

EMAILS = 300
WARM_UP = 20
# As in production: one worker process per core.
WORKER_PROCESSES = os.cpu_count() or 1
TIMEOUT_S = 120
MAIL_SINK = [sys.executable, "-m", "tools.mail_sink"]


def wait_for_files(folder: Path, count: int) -> None:
    """Block until the sink has written ``count`` messages."""
    deadline = time.monotonic() + TIMEOUT_S
    while sum(1 for _ in folder.glob("*.eml")) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sink has fewer than {count} messages after {TIMEOUT_S}s")
        time.sleep(0.01)


def queue_confirmations(database_url: str, redis_url: str, count: int) -> list[int]:
    """Register ``count`` participants; return their confirmations' outbox ids, unpublished."""
    from services.notifications import create_app

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    app.extensions["outbox_publisher"] = lambda _ids: None
    with app.app_context():
        group = Factory(db.session).group(capacity=None)
        for n in range(count):
            participant = Participant("Awa", f"N{n}", f"awa{n}@example.org", Role.OTHER, "fr")
            register(db.session, group.event, group, participant, commit_all_dates=True)
        db.session.commit()
        ids = list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
    app.extensions["database"].engine.dispose()
    return ids


def pipeline_rate(workdir: Path, database_url: str, redis: RedisServer, sink: Path) -> float:
    """Emails per second from publishing outbox rows to the sink holding every message."""
    from services.notifications import create_app

    outbox_ids = queue_confirmations(database_url, redis.url, WARM_UP + EMAILS)
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis.url})
    with app.app_context():
        publish(outbox_ids[:WARM_UP])
        wait_for_files(sink, WARM_UP)
        started = time.perf_counter()
        publish(outbox_ids[WARM_UP:])
        wait_for_files(sink, WARM_UP + EMAILS)
        elapsed = time.perf_counter() - started
    app.extensions["database"].engine.dispose()
    return EMAILS / elapsed


def smtplib_rate(port: int, sink: Path) -> float:
    """Emails per second sending the pipeline's messages again with smtplib alone."""
    messages = sorted(sink.glob("*.eml"))[WARM_UP:]
    already = len(list(sink.glob("*.eml")))
    payloads = [(f"awa{n}@example.org", path.read_bytes()) for n, path in enumerate(messages)]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for recipient, payload in payloads:
            smtp.sendmail("no-reply@atelier.example.org", [recipient], payload)
    wait_for_files(sink, already + len(payloads))
    return len(payloads) / (time.perf_counter() - started)


def main() -> None:
    """Start Redis, the SMTP sink and a worker; print both rates and their ratio."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-notifications-") as tmp,
        throwaway_postgres(POSTGRES) as database_url,
    ):
        workdir = Path(tmp)
        sink_folder, sink_port = workdir / "mail", free_port()
        sink = ManagedProcess(
            [*MAIL_SINK, "--port", str(sink_port), "--folder", str(sink_folder)],
            workdir / "sink.log",
            {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        ).start()
        redis = RedisServer(workdir / "redis").start()
        worker = CeleryWorker(
            workdir / "worker",
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis.url,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(sink_port),
            },
            concurrency=WORKER_PROCESSES,
            beat=False,
        )
        try:
            wait_for_port(sink_port)
            worker.start()
            pipeline = pipeline_rate(workdir, database_url, redis, sink_folder)
            raw = smtplib_rate(sink_port, sink_folder)
        finally:
            worker.stop()
            redis.stop()
            sink.stop()
    print(f"notifications smtplib baseline: {raw:.1f} emails/s")
    print(
        f"notifications pipeline (outbox → Redis → worker → SMTP): {pipeline:.1f} emails/s"
        f"  (ratio: {pipeline / raw:.2f}× baseline)"
    )


if __name__ == "__main__":
    main()
