"""Retention, run by the one worker on the housekeeping queue and scheduled daily by beat.

The registration service's jobs (anonymising expired registrations, forgetting delivered
outbox rows) are defined here, not in that service, so that the worker never loads it; they
write only its tables, through shared.domain.privacy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import shared_task
from flask import current_app

from shared.database import db, utcnow
from shared.domain import confirmation, organiser_messages, privacy
from shared.queue import (
    ANONYMISE_TASK,
    PURGE_OUTBOX_TASK,
    RELEASE_MESSAGES_TASK,
    RELEASE_UNCONFIRMED_TASK,
)

log = logging.getLogger(__name__)


def apply_retention(rule: Callable[..., Any], setting: str, limit: str) -> Any:
    """Apply a retention rule of shared.domain.privacy with the limit the configuration
    ``setting`` gives (passed as ``limit``), commit, and log what it changed."""
    changed = rule(db.session, **{limit: current_app.config[setting]})
    db.session.commit()
    log.info("retention applied", extra={"rule": rule.__name__, "changed": changed})
    return changed


@shared_task(name=ANONYMISE_TASK)
def anonymise_expired() -> int:
    """Anonymise the registrations past their retention period; return how many."""
    return len(apply_retention(privacy.anonymise_expired, "PRIVACY_RETENTION_MONTHS", "months"))


@shared_task(name=PURGE_OUTBOX_TASK)
def purge_delivered_outbox() -> int:
    """Delete outbox rows whose emails were all delivered long enough ago; return how many."""
    return apply_retention(privacy.purge_delivered_outbox, "SENT_MAIL_RETENTION_DAYS", "days")


@shared_task(name=RELEASE_UNCONFIRMED_TASK)
def release_unconfirmed() -> int:
    """Release the places not confirmed from their email in time, so that waiting lists move
    on; return how many. The emails of those promoted leave once this commits."""
    released = confirmation.release_unconfirmed(db.session, now=utcnow())
    db.session.commit()
    if released:
        log.info("unconfirmed registrations released", extra={"released": len(released)})
    return len(released)


@shared_task(name=RELEASE_MESSAGES_TASK)
def release_due_messages() -> int:
    """Send the organiser messages whose moment has come; return how many left. Their emails
    are handed to the worker once this commits."""
    released = organiser_messages.release_due(db.session, now=utcnow())
    db.session.commit()
    if released:
        log.info("organiser messages released", extra={"messages": released})
    return len(released)
