"""The notifications service's own settings, read from the environment."""

from __future__ import annotations

import os
from typing import Any


def _number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def notification_settings() -> dict[str, Any]:
    """Retry budget, sweep timeouts, reminder lead time, beat intervals, worker processes."""
    return {
        # SMTP failures are retried after base·2^n seconds (plus jitter), at most this often.
        "NOTIFICATIONS_MAX_RETRIES": int(_number("NOTIFICATIONS_MAX_RETRIES", 8)),
        "NOTIFICATIONS_RETRY_BASE_S": _number("NOTIFICATIONS_RETRY_BASE_S", 30),
        "NOTIFICATIONS_RETRY_MAX_S": _number("NOTIFICATIONS_RETRY_MAX_S", 1800),
        # How long one task (a batch of up to 25 sends) may take before it stops: a hung SMTP
        # server. The messages it had not sent yet wait for their retry.
        "NOTIFICATIONS_SEND_TIME_LIMIT_S": _number("NOTIFICATIONS_SEND_TIME_LIMIT_S", 60),
        # The sweep re-enqueues rows waiting longer than these: longer than any retry delay,
        # and than a send may take, so a row in progress is never sent twice.
        "NOTIFICATIONS_STALE_QUEUED_S": _number("NOTIFICATIONS_STALE_QUEUED_S", 2400),
        "NOTIFICATIONS_STALE_SENDING_S": _number("NOTIFICATIONS_STALE_SENDING_S", 300),
        "NOTIFICATIONS_STALE_OUTBOX_S": _number("NOTIFICATIONS_STALE_OUTBOX_S", 60),
        "NOTIFICATIONS_SWEEP_INTERVAL_S": _number("NOTIFICATIONS_SWEEP_INTERVAL_S", 60),
        "NOTIFICATIONS_REMINDER_LEAD_S": _number("NOTIFICATIONS_REMINDER_LEAD_S", 2 * 86400),
        "NOTIFICATIONS_REMINDER_INTERVAL_S": _number("NOTIFICATIONS_REMINDER_INTERVAL_S", 900),
        # How often places not confirmed from their email in time are released (registration
        # counts release a group's own lapsed places at once; this frees the others).
        "REGISTRATION_RELEASE_INTERVAL_S": _number("REGISTRATION_RELEASE_INTERVAL_S", 300),
        # How often organiser messages whose moment has come are sent: at most this late.
        "NOTIFICATIONS_MESSAGES_INTERVAL_S": _number("NOTIFICATIONS_MESSAGES_INTERVAL_S", 30),
        # Sending processes of each worker (its --concurrency wins); 0: Celery's default, one
        # per core. Each holds the app in memory: the small profile runs one.
        "CELERY_CONCURRENCY": int(_number("CELERY_CONCURRENCY", 0)),
        # What this service writes is bookkeeping that the outbox and the sweep can rebuild:
        # a database crash that forgets its last commits costs at worst an email sent twice
        # (with the same Message-ID), never one lost. Not waiting on the disk for each of
        # them is what lets one worker send hundreds of emails a second.
        "DATABASE_SYNCHRONOUS_COMMIT": False,
        # Flask-Mail suppresses sending when TESTING is set; the tests use a real SMTP server.
        "MAIL_SUPPRESS_SEND": False,
    }
