"""Celery tasks: each takes ids, calls the plain functions of ``operations`` and commits."""

from __future__ import annotations

import itertools
import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta

from celery import Celery, Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from services.notifications import operations
from services.registration.tasks import ANONYMISE_TASK, PURGE_OUTBOX_TASK
from shared.database import db, utcnow
from shared.domain import privacy
from shared.outbox import DELIVER_OUTBOX_TASK
from shared.queue import HOUSEKEEPING_QUEUE, MAIL_QUEUE

log = logging.getLogger(__name__)

SEND_MESSAGE_TASK = "notifications.send_message"
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
            SEND_MESSAGE_TASK: {"queue": MAIL_QUEUE},
            SWEEP_TASK: {"queue": HOUSEKEEPING_QUEUE},
            REMINDERS_TASK: {"queue": HOUSEKEEPING_QUEUE},
            **{task: {"queue": HOUSEKEEPING_QUEUE} for task in HOUSEKEEPING_TASKS},
        },
        include=["services.registration.tasks"],
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
            **{task: {"task": task, "schedule": DAILY_S} for task in HOUSEKEEPING_TASKS},
        },
    )
    return celery


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=current_app.config[name])


@dataclass(frozen=True)
class Attempt:
    """How one attempt at sending a message ended; ``retry_in`` seconds when it should retry."""

    outcome: str
    retry_in: float | None = None


def attempt_delivery(message_id: int, retries: int) -> Attempt:
    """Claim and render a message, send it, record the result; SMTP failures ask for a retry
    until the budget is spent."""
    session = db.session
    if not operations.claim(session, message_id):
        session.commit()
        return Attempt("skipped")  # another worker has it, or it was sent already
    try:
        mail_message = operations.build(session, message_id)
    except Exception as error:  # the email cannot be written: record why, never retry blindly
        session.rollback()
        log.exception("message %s cannot be rendered", message_id)
        operations.give_up(session, message_id, operations.describe(error))
        session.commit()
        return Attempt("failed")
    session.commit()  # the claim is visible before the SMTP conversation starts
    try:
        operations.send(mail_message)
    except TRANSIENT_ERRORS as error:
        config = current_app.config
        final = operations.is_permanent(error) or retries >= config["NOTIFICATIONS_MAX_RETRIES"]
        operations.record_failure(session, message_id, operations.describe(error), final=final)
        session.commit()
        if final:
            log.warning("message %s failed for good: %s", message_id, error)
            return Attempt("failed")
        delay = operations.retry_delay(
            retries,
            base=config["NOTIFICATIONS_RETRY_BASE_S"],
            ceiling=config["NOTIFICATIONS_RETRY_MAX_S"],
        )
        log.info("message %s: %s; retry in %.1fs", message_id, error, delay)
        return Attempt("retry", delay)
    record_sent_when_reachable(message_id)
    return Attempt("sent")


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
def deliver_outbox(outbox_id: int) -> int:
    """Turn an outbox row into one delivery-log row per recipient and send them: a single
    message at once, several each in a task of its own."""
    message_ids = operations.create_messages(db.session, outbox_id)
    db.session.commit()
    if not message_ids:
        log.info("outbox %s: nothing (more) to send", outbox_id)
    elif len(message_ids) == 1:
        attempt = attempt_delivery(message_ids[0], retries=0)
        if attempt.retry_in is not None:
            send_message.apply_async(args=message_ids, countdown=attempt.retry_in, retries=1)
    else:
        for message_id in message_ids:
            send_message.delay(message_id)
    return len(message_ids)


@shared_task(name=SEND_MESSAGE_TASK, bind=True)
def send_message(self: Task, message_id: int) -> str:
    """Send one message; SMTP failures retry with exponential backoff and jitter."""
    attempt = attempt_delivery(message_id, retries=self.request.retries)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in, max_retries=None)
    return attempt.outcome


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
    for outbox_id in found.outbox_ids:
        deliver_outbox.delay(outbox_id)
    for message_id in found.message_ids:
        send_message.delay(message_id)
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
    for message_id in message_ids:
        send_message.delay(message_id)
    return len(message_ids)


@shared_task(name=PURGE_SENT_TASK)
def purge_sent_messages() -> int:
    """Forget delivery-log rows of emails sent longer ago than their retention (beat runs this)."""
    deleted = privacy.purge_sent_messages(
        db.session, days=current_app.config["SENT_MAIL_RETENTION_DAYS"]
    )
    db.session.commit()
    log.info("sent messages deleted", extra={"count": deleted})
    return deleted
