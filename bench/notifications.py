"""Emails per second through the whole pipeline (outbox → Redis → Celery worker → SMTP sink),
beside raw smtplib sending the same messages to the same sink.

The load is a burst of 1,000 confirmations committed together, as a schedule change, the
reminder run or the sweep after an outage hands them over: in tasks of 25 outbox rows.
Set up as in production: PostgreSQL (a throwaway database on the server BENCH_POSTGRES_URL
names) and one prefork worker process per core. Each worker process keeps its SMTP
connection open for the messages that follow each other, so the baseline does the same
SMTP work per message: one smtplib connection kept open, and for each message MAIL FROM,
RCPT TO and DATA of the bytes the pipeline produced (already rendered, .ics included). The
sink is the local one of ``make run`` (tools/mail_sink.py, one .eml file per message). Each
figure is the best of three alternating rounds.
"""

from __future__ import annotations

import os
import smtplib
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
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

EMAILS = 1000
ROUNDS = 3
WARM_UP = 20
# As in production: one worker process per core.
WORKER_PROCESSES = os.cpu_count() or 1
TIMEOUT_S = 120
MAIL_SINK = [sys.executable, "-m", "tools.mail_sink"]


def wait_for_files(folder: Path, count: int) -> None:
    """Block until the sink has written ``count`` messages, looking seldom enough to leave
    the processors to the pipeline."""
    deadline = time.monotonic() + TIMEOUT_S
    while len(os.listdir(folder)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sink has fewer than {count} messages after {TIMEOUT_S}s")
        time.sleep(0.05)


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


def pipeline_rate(app: Flask, outbox_ids: list[int], sink: Path) -> float:
    """Emails per second from publishing outbox rows to the sink holding every message."""
    already = len(os.listdir(sink))
    with app.app_context():
        started = time.perf_counter()
        publish(outbox_ids)
        wait_for_files(sink, already + len(outbox_ids))
    return len(outbox_ids) / (time.perf_counter() - started)


def smtplib_rate(port: int, sink: Path, count: int) -> float:
    """Emails per second sending the pipeline's last ``count`` messages again with smtplib."""
    messages = sorted(sink.iterdir())[-count:]
    already = len(os.listdir(sink))
    payloads = [(f"awa{n}@example.org", path.read_bytes()) for n, path in enumerate(messages)]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for recipient, payload in payloads:
            smtp.sendmail("no-reply@atelier.example.org", [recipient], payload)
    wait_for_files(sink, already + len(payloads))
    return len(payloads) / (time.perf_counter() - started)


def best_rates(database_url: str, redis: RedisServer, sink: Path, port: int) -> tuple[float, float]:
    """The best of a few alternating rounds of the pipeline and of smtplib: a round spoilt by
    something else on the machine spoils neither figure."""
    from services.notifications import create_app

    outbox_ids = queue_confirmations(database_url, redis.url, WARM_UP + ROUNDS * EMAILS)
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis.url})
    pipeline_rate(app, outbox_ids[:WARM_UP], sink)
    pipeline, raw = 0.0, 0.0
    for start in range(WARM_UP, len(outbox_ids), EMAILS):
        pipeline = max(pipeline, pipeline_rate(app, outbox_ids[start : start + EMAILS], sink))
        raw = max(raw, smtplib_rate(port, sink, EMAILS))
    app.extensions["database"].engine.dispose()
    return pipeline, raw


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
            pipeline, raw = best_rates(database_url, redis, sink_folder, sink_port)
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
