"""Celery tasks: each takes ids, calls the plain functions of ``operations`` and commits."""

from __future__ import annotations

import itertools
import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import timedelta

from celery import Celery, Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from services.notifications import emails, operations
from services.notifications.mime import MailMessage
from shared.database import db, utcnow
from shared.domain import privacy
from shared.housekeeping import apply_retention
from shared.observability import without_addresses
from shared.queue import (
    ANONYMISE_TASK,
    DELIVER_OUTBOX_TASK,
    HOUSEKEEPING_QUEUE,
    MAIL_QUEUE,
    PURGE_OUTBOX_TASK,
    RELEASE_MESSAGES_TASK,
    RELEASE_UNCONFIRMED_TASK,
    RETRY_FAILED_TASK,
    in_batches,
)

log = logging.getLogger(__name__)

SEND_MESSAGES_TASK = "notifications.send_messages"
SWEEP_TASK = "notifications.sweep"
REMINDERS_TASK = "notifications.send_reminders"
PURGE_SENT_TASK = "notifications.purge_sent_messages"
DAILY_S = 24 * 3600
# Housekeeping of every service runs here, in the one worker and beat of the installation;
# each task writes only its own service's tables.
HOUSEKEEPING_TASKS = (PURGE_SENT_TASK, ANONYMISE_TASK, PURGE_OUTBOX_TASK)
# What a send can fail with that a later attempt may not: the server down, refusing for now,
# or hanging past the task's time limit.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError, SoftTimeLimitExceeded)


def configure(app: Flask) -> Celery:
    """Route the tasks to their queues, bound each task's time and schedule beat's tasks."""
    celery: Celery = app.extensions["celery"]
    config = app.config
    celery.conf.update(
        task_routes={
            DELIVER_OUTBOX_TASK: {"queue": MAIL_QUEUE},
            SEND_MESSAGES_TASK: {"queue": MAIL_QUEUE},
            SWEEP_TASK: {"queue": HOUSEKEEPING_QUEUE},
            REMINDERS_TASK: {"queue": HOUSEKEEPING_QUEUE},
            RELEASE_UNCONFIRMED_TASK: {"queue": HOUSEKEEPING_QUEUE},
            RELEASE_MESSAGES_TASK: {"queue": HOUSEKEEPING_QUEUE},
            RETRY_FAILED_TASK: {"queue": MAIL_QUEUE},
            **{task: {"queue": HOUSEKEEPING_QUEUE} for task in HOUSEKEEPING_TASKS},
        },
        include=["shared.housekeeping"],
        # 0 leaves Celery its own default: a process per core.
        worker_concurrency=config["CELERY_CONCURRENCY"] or None,
        task_soft_time_limit=config["NOTIFICATIONS_SEND_TIME_LIMIT_S"],
        # A task cut off from Redis finishes: cancelled, it could have sent its email without
        # recording it, and the sweep would send it again. Redelivered, the claim skips it.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_time_limit=config["NOTIFICATIONS_SEND_TIME_LIMIT_S"] + 30,
        beat_schedule={
            "sweep": {"task": SWEEP_TASK, "schedule": config["NOTIFICATIONS_SWEEP_INTERVAL_S"]},
            "reminders": {
                "task": REMINDERS_TASK,
                "schedule": config["NOTIFICATIONS_REMINDER_INTERVAL_S"],
            },
            "organiser messages": {
                "task": RELEASE_MESSAGES_TASK,
                "schedule": config["NOTIFICATIONS_MESSAGES_INTERVAL_S"],
            },
            "release unconfirmed": {
                "task": RELEASE_UNCONFIRMED_TASK,
                "schedule": config["REGISTRATION_RELEASE_INTERVAL_S"],
            },
            **{task: {"task": task, "schedule": DAILY_S} for task in HOUSEKEEPING_TASKS},
        },
    )
    return celery


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=current_app.config[name])


@dataclass(frozen=True)
class Delivery:
    """How one attempt at sending messages ended: those to try again in ``retry_in`` seconds."""

    sent: int
    retry_ids: list[int] = field(default_factory=list)
    retry_in: float | None = None


def deliver(message_ids: list[int], retries: int) -> Delivery:
    """Claim, render and send messages on this worker's connection, recording each outcome.

    An SMTP failure that a later attempt may not meet puts the message and the rest of the
    batch back in the queue for one retry, until the budget is spent; a refusal for good
    fails that message alone.
    """
    session = db.session
    claimed = operations.claim(session, message_ids)
    session.commit()  # the claims are visible before the SMTP conversations start
    ready = render_claimed(claimed)
    sent = 0
    for position, (message_id, mail_message) in enumerate(ready):
        try:
            operations.send(mail_message)
        except TRANSIENT_ERRORS as error:
            if operations.is_permanent(error):
                fail(session, [message_id], error)
                continue
            waiting = [i for i, _ in ready[position:]]
            delay = release_for_retry(waiting, error, retries)
            return Delivery(sent, waiting if delay is not None else [], delay)
        record_sent_when_reachable(message_id)
        sent += 1
    return Delivery(sent)


def render_claimed(message_ids: list[int]) -> list[tuple[int, MailMessage]]:
    """Render claimed messages; one that cannot be written fails for good, never retried."""
    session = db.session
    shared = emails.Shared()
    ready, unwritable = [], []
    with emails.preloaded_messages(session, message_ids):
        for message_id in message_ids:
            try:
                ready.append((message_id, operations.build(session, message_id, shared)))
            except Exception as error:  # never retried blindly: the log says why
                if isinstance(error, SQLAlchemyError):  # the session is unusable until then
                    session.rollback()
                log.exception("message %s cannot be rendered", message_id)
                unwritable.append((message_id, error))
    session.commit()  # the subjects, for the delivery log
    for message_id, error in unwritable:
        fail(session, [message_id], error)
    return ready


def fail(session: Session, message_ids: list[int], error: BaseException) -> None:
    """Record messages as failed for good; an organiser can retry them from the log."""
    log.warning("messages %s failed for good: %s", message_ids, without_addresses(str(error)))
    operations.record_failure(session, message_ids, operations.describe(error), final=True)
    session.commit()


def release_for_retry(message_ids: list[int], error: BaseException, retries: int) -> float | None:
    """Queue messages again after a transient failure and return the delay before their
    retry; once the budget is spent, fail them (None)."""
    config = current_app.config
    if retries >= config["NOTIFICATIONS_MAX_RETRIES"]:
        fail(db.session, message_ids, error)
        return None
    operations.record_failure(db.session, message_ids, operations.describe(error), final=False)
    db.session.commit()
    delay = operations.retry_delay(
        retries,
        base=config["NOTIFICATIONS_RETRY_BASE_S"],
        ceiling=config["NOTIFICATIONS_RETRY_MAX_S"],
    )
    log.info("messages %s: %s; retry in %.1fs", message_ids, without_addresses(str(error)), delay)
    return delay


def record_sent_when_reachable(message_id: int) -> None:
    """Record a message as sent, waiting out a database restart: left unrecorded, the sweep
    would send it again. The task's time limit bounds the wait."""
    for pause in itertools.chain((0.1, 0.3), itertools.repeat(1.0)):
        try:
            operations.record_sent(db.session, message_id)
            db.session.commit()
            return
        except OperationalError:
            db.session.rollback()
            log.warning("message %s sent but not recorded yet: database unavailable", message_id)
            time.sleep(pause)


@shared_task(name=DELIVER_OUTBOX_TASK)
def deliver_outbox(outbox_ids: list[int]) -> int:
    """Turn outbox rows into one delivery-log row per recipient and send them: the first
    batch in this task, any further batches each in a task of its own."""
    message_ids = operations.create_messages(db.session, outbox_ids)
    db.session.commit()
    if not message_ids:
        log.info("outbox %s: nothing (more) to send", outbox_ids)
        return 0
    first, *others = in_batches(message_ids)
    for batch in others:
        send_messages.delay(batch)
    delivery = deliver(first, retries=0)
    if delivery.retry_ids:
        send_messages.apply_async(args=[delivery.retry_ids], countdown=delivery.retry_in, retries=1)
    return len(message_ids)


@shared_task(name=SEND_MESSAGES_TASK, bind=True)
def send_messages(self: Task, message_ids: list[int]) -> int:
    """Send messages; SMTP failures retry those left with exponential backoff and jitter."""
    delivery = deliver(message_ids, retries=self.request.retries)
    if delivery.retry_ids:
        raise self.retry(args=[delivery.retry_ids], countdown=delivery.retry_in, max_retries=None)
    return delivery.sent


def send_in_batches(message_ids: list[int]) -> None:
    """Hand the messages to the workers, a batch per task."""
    for batch in in_batches(message_ids):
        send_messages.delay(batch)


@shared_task(name=RETRY_FAILED_TASK)
def retry_failed(message_ids: list[int]) -> int:
    """Queue failed messages again, as an organiser asked from a page, and send them; those
    not failed (any more) are left alone. Returns how many were queued."""
    queued = operations.requeue_failed(db.session, message_ids)
    db.session.commit()
    send_in_batches(queued)
    return len(queued)


@shared_task(name=SWEEP_TASK)
def sweep() -> int:
    """Enqueue again what was never handed over or got stuck (beat runs this)."""
    found = operations.sweep(
        db.session,
        now=utcnow(),
        stale_outbox=_seconds("NOTIFICATIONS_STALE_OUTBOX_S"),
        stale_queued=_seconds("NOTIFICATIONS_STALE_QUEUED_S"),
        stale_sending=_seconds("NOTIFICATIONS_STALE_SENDING_S"),
    )
    db.session.commit()
    for batch in in_batches(found.outbox_ids):
        deliver_outbox.delay(batch)
    send_in_batches(found.message_ids)
    if found.outbox_ids or found.message_ids:
        log.info(
            "sweep: %d outbox rows, %d messages", len(found.outbox_ids), len(found.message_ids)
        )
    return len(found.outbox_ids) + len(found.message_ids)


@shared_task(name=REMINDERS_TASK)
def send_reminders() -> int:
    """Create and send the reminders of dates starting within the lead time (beat runs this)."""
    try:
        message_ids = operations.schedule_reminders(
            db.session, now=utcnow(), lead=_seconds("NOTIFICATIONS_REMINDER_LEAD_S")
        )
        db.session.commit()
    except IntegrityError:  # a concurrent run created the same reminders; the next run resumes
        db.session.rollback()
        return 0
    send_in_batches(message_ids)
    return len(message_ids)


@shared_task(name=PURGE_SENT_TASK)
def purge_sent_messages() -> int:
    """Forget delivery-log rows of emails sent longer ago than their retention (beat runs this)."""
    return apply_retention(privacy.purge_sent_messages, "SENT_MAIL_RETENTION_DAYS", "days")
