"""Simultaneous downloads of one participant's first certificate, on PostgreSQL: every request
looks for a certificate, finds none and inserts one; the unique registration lets one insert
through, the others wait on it, fail once it commits and read its row. Each gets the same
certificate, and a single row is stored. The overlap is forced, not hoped for: no request
inserts before all looked and found nothing, none commits before all the others tried to
insert."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import utcnow
from shared.domain import certificates
from shared.models import Attendance, Certificate, Registration
from tests.support.databases import waiting_on_a_transaction
from tests.support.factories import Factory
from tests.support.links import manage_token
from tests.support.load import all_at_once
from tests.support.mail import eventually

DOWNLOADS = 4


@pytest.fixture
def completed(engine) -> Registration:
    """A registration present on both dates of a training held in the past weeks."""
    start = utcnow().replace(microsecond=0) - timedelta(days=14)
    days = [(start + timedelta(days=7 * i), start + timedelta(days=7 * i, hours=3)) for i in (0, 1)]
    with Session(engine, expire_on_commit=False) as session:
        factory = Factory(session)
        group = factory.group(factory.event(registration_opens_at=None), dates=days)
        person = factory.registration(group, at=start - timedelta(days=30))
        for day in group.dates:
            session.add(Attendance(registration=person, session_date=day, present=True))
        session.commit()
        return person


def printed(pdf: bytes) -> str:
    """The PDF's text, without spaces or line breaks (a long code may wrap)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(text.split())


def test_simultaneous_first_downloads_share_one_certificate(
    server_app, engine, completed, monkeypatch
):
    barrier = threading.Barrier(DOWNLOADS, timeout=30)
    new_certificate = certificates._new_certificate
    returned: list[str] = []

    def committed() -> bool:
        with Session(engine) as session:
            return certificates.certificate_of(session, completed) is not None

    def insert_together(session: Session, registration: Registration) -> Certificate:
        # Every request found no certificate before any of them inserts one...
        barrier.wait()
        certificate = new_certificate(session, registration)
        # ...and the one whose insert went through commits only once all the others wait on
        # it; they return only after it committed.
        eventually(
            lambda: committed() or waiting_on_a_transaction(engine) == DOWNLOADS - 1,
            what="the other requests' inserts",
        )
        returned.append(certificate.code)
        return certificate

    monkeypatch.setattr(certificates, "_new_certificate", insert_together)
    url = f"/api/v1/registrations/{manage_token(completed)}/certificate.pdf"

    responses = all_at_once(DOWNLOADS, lambda _: server_app.test_client().get(url))

    assert [response.status_code for response in responses] == [200] * DOWNLOADS
    with Session(engine) as session:
        stored = session.scalars(
            select(Certificate.code).where(Certificate.registration_id == completed.id)
        ).all()
    assert len(stored) == 1
    assert returned == stored * DOWNLOADS  # every request issued that one row
    assert all(stored[0] in printed(response.data) for response in responses)
