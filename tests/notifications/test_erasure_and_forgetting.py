"""What the worker forgets and what it refuses, over a real worker, Redis and SMTP server: an
invitation to evaluate forgets its link once sent, and nothing goes to a person erased while
their email waited for a retry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.database import utcnow
from shared.domain.closing import close_group
from shared.domain.privacy import anonymise
from shared.models import Attendance, DeliveryStatus, EvaluationInvitation, Registration
from tests.notifications.conftest import messages_in
from tests.organiser.conftest import held_group, registered_before
from tests.support.factories import Factory
from tests.support.mail import eventually

pytestmark = pytest.mark.slow

# Celery's line for a sending task that ended, retried or not: what it returned follows.
SENDING_ENDED = re.compile(r"Task notifications\.send_messages\[[0-9a-f-]+\] succeeded in \S+: 0")


def erase(committed, registration_id: int) -> None:
    """Anonymise the registration as an organiser's erasure or the retention purge does."""
    anonymise(committed.get(Registration, registration_id))
    committed.commit()


def test_an_invitation_to_evaluate_forgets_its_link_once_sent(
    registration_app, committed, smtp, start_worker
):
    make = Factory(committed)
    group = held_group(make, days_ago=(9, 2))
    person = registered_before(make, group, email="olena@example.org")
    committed.add(Attendance(registration=person, session_date=group.dates[0], present=True))
    committed.commit()
    with registration_app.app_context():
        close_group(committed, group, now=utcnow() - timedelta(days=1))
        committed.commit()
    [invitation] = committed.scalars(select(EvaluationInvitation)).all()
    assert invitation.nonce is not None, "the link can be derived until the email leaves"
    committed.commit()  # ends the read, which would hold SQLite's lock against the worker

    start_worker()

    [email] = smtp.mailbox.wait_for(1)
    eventually(lambda: messages_in(committed, status=DeliveryStatus.SENT), what="recorded sent")
    committed.expire_all()
    assert "/evaluations/" in email.get_body(("plain",)).get_content()
    assert committed.get(EvaluationInvitation, invitation.id).nonce is None


def test_an_email_waiting_for_a_retry_is_not_sent_to_a_person_erased_meanwhile(
    register, workshop, committed, smtp, start_worker
):
    smtp.mailbox.refusals["awa@example.org"] = "451 4.3.0 Mailbox busy, try again later"
    worker = start_worker()
    registration_id = register(workshop, email="awa@example.org")["id"]
    eventually(
        lambda: (
            messages_in(committed, status=DeliveryStatus.QUEUED, registration_id=registration_id)
            and messages_in(committed)[0].attempts >= 1
        ),
        what="the email waiting for its retry",
    )
    erased_at = len(worker.log())

    erase(committed, registration_id)

    eventually(lambda: SENDING_ENDED.search(worker.log()[erased_at:]), what="a retry that ended")
    [message] = messages_in(committed)
    assert message.status is DeliveryStatus.FAILED
    assert "anonymised" in message.last_error
    assert smtp.mailbox.messages == []
