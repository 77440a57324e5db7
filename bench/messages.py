"""A message organisers write to a group of 1,000, against the confirmation pipeline measured
in the same run: both through the same outbox, Redis, worker and SMTP sink (set up as in
bench/notifications.py). The message is composed through the organiser API (its request's
SQL statements are counted) and timed from the request to the sink holding every copy;
the confirmations from handing over 1,000 outbox rows to the same. Best of two alternating
rounds each."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from bench.notifications import (
    MAIL_SINK,
    WARM_UP,
    WORKER_PROCESSES,
    pipeline_rate,
    queue_confirmations,
    wait_for_files,
)
from bench.support import POSTGRES, against_floor, target
from services.registration.accounts.auth import issue_token
from shared.database import db
from shared.domain.registrations import Participant, register
from shared.models import Organiser, Role
from tests.support.databases import throwaway_postgres
from tests.support.factories import Factory
from tests.support.mail import CeleryWorker
from tests.support.servers import ManagedProcess, RedisServer, free_port, wait_for_port

RECIPIENTS = 1000
ROUNDS = 2
MESSAGE = {
    "subject": {"fr": "Salle changée pour {group}"},
    "body": {"fr": "Bonjour {first_name},\n\nRendez-vous au 2e étage : {venue}.\n\n{manage_link}"},
}


def message_group(database_url: str, redis_url: str) -> tuple[str, str, str]:
    """A group of 1,000 confirmed participants and an organiser of its event: the event's
    slug, the group's and the organiser's API token."""
    from services.registration import create_app

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    app.extensions["outbox_publisher"] = lambda _ids: None  # their confirmations stay put
    with app.app_context():
        group = Factory(db.session).group(capacity=None)
        for n in range(RECIPIENTS):
            person = Participant("Awa", f"M{n}", f"message{n}@example.org", Role.OTHER, "fr")
            register(db.session, group.event, group, person, commit_all_dates=True)
        organiser = Organiser(
            email="bench@example.org", name="Bench", password_hash="-", events=[group.event]
        )
        db.session.add(organiser)
        db.session.flush()
        _api_token, token = issue_token(db.session, organiser)
        db.session.commit()
        slugs = (group.event.slug, group.slug, token)
    app.extensions["database"].engine.dispose()
    return slugs


def message_rate(database_url: str, redis_url: str, sink: Path) -> tuple[float, int]:
    """Send the message to the group through the API: its copies per second until the sink
    holds them all, and the SQL statements its request ran."""
    from services.registration import create_app

    event_slug, group_slug, token = message_group(database_url, redis_url)
    app = create_app(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "RATE_LIMITS_ENABLED": False}
    )
    statements: list[str] = []
    engine = app.extensions["database"].engine
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    client = app.test_client()
    best, request_statements = 0.0, 0
    for _round in range(ROUNDS):
        already = len(os.listdir(sink))
        statements.clear()
        started = time.perf_counter()
        answer = client.post(
            f"/api/v1/events/{event_slug}/messages",
            json={**MESSAGE, "groups": [group_slug]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.json
        request_statements = len(statements)
        wait_for_files(sink, already + RECIPIENTS)
        best = max(best, RECIPIENTS / (time.perf_counter() - started))
    engine.dispose()
    return best, request_statements


def confirmation_rate(database_url: str, redis_url: str, sink: Path) -> float:
    """The best rate of the confirmation pipeline over a few bursts of 1,000."""
    from services.notifications import create_app

    outbox_ids = queue_confirmations(database_url, redis_url, WARM_UP + ROUNDS * RECIPIENTS)
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    pipeline_rate(app, outbox_ids[:WARM_UP], sink)
    best = 0.0
    for start in range(WARM_UP, len(outbox_ids), RECIPIENTS):
        best = max(best, pipeline_rate(app, outbox_ids[start : start + RECIPIENTS], sink))
    app.extensions["database"].engine.dispose()
    return best


def main() -> None:
    """Start Redis, the SMTP sink and a worker; measure both and compare them."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-messages-") as tmp,
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
            confirmations = confirmation_rate(database_url, redis.url, sink_folder)
            message, statements = message_rate(database_url, redis.url, sink_folder)
        finally:
            worker.stop()
            redis.stop()
            sink.stop()
    against_floor(
        "organiser message to 1,000 recipients",
        message,
        confirmations,
        "emails/s",
        at_least=0.8,
        versus="confirmations",
    )
    target(
        "composing a message: SQL statements per 100 recipients",
        statements / (RECIPIENTS / 100),
        "statements",
        at_most=3,
    )


if __name__ == "__main__":
    main()
