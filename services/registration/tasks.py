"""The registration service's housekeeping, run by the worker on the housekeeping queue and
scheduled by beat: anonymising expired registrations, forgetting delivered outbox rows."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from shared.database import db
from shared.domain import privacy

log = logging.getLogger(__name__)

ANONYMISE_TASK = "registration.anonymise_expired"
PURGE_OUTBOX_TASK = "registration.purge_delivered_outbox"


@shared_task(name=ANONYMISE_TASK)
def anonymise_expired() -> int:
    """Anonymise the registrations past their retention period; return how many."""
    ids = privacy.anonymise_expired(
        db.session, months=current_app.config["PRIVACY_RETENTION_MONTHS"]
    )
    db.session.commit()
    log.info("registrations anonymised", extra={"registration_ids": ids})
    return len(ids)


@shared_task(name=PURGE_OUTBOX_TASK)
def purge_delivered_outbox() -> int:
    """Delete outbox rows whose emails were all delivered long enough ago; return how many."""
    deleted = privacy.purge_delivered_outbox(
        db.session, days=current_app.config["SENT_MAIL_RETENTION_DAYS"]
    )
    db.session.commit()
    log.info("delivered outbox rows deleted", extra={"count": deleted})
    return deleted
