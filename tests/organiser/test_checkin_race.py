"""Two doors marking the same person at the same moment, on PostgreSQL: each finds no mark
yet, both insert; the second waits on the first's row, and once that commits skips its own.
The overlap is forced: the first door commits only after the second waits on it. The person
is marked once, at the first door's moment, journalled once, and the second door is told so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.registration import create_app
from services.registration.accounts.auth import issue_token
from shared.database import utcnow
from shared.i18n import BRUSSELS
from shared.models import Attendance, AuditEntry, Organiser
from tests.conftest import closing
from tests.organiser.conftest import held_group, registered_before
from tests.organiser.test_checkins import checkins_url, code_of
from tests.support.databases import waiting_on_a_transaction
from tests.support.factories import Factory
from tests.support.mail import eventually


@pytest.fixture
def server_app(base_config: dict[str, Any], committed_postgres: str) -> Iterator[Flask]:
    """The registration service on the committed PostgreSQL database."""
    yield from closing(create_app({**base_config, "DATABASE_URL": committed_postgres}))


def test_two_doors_marking_one_person_at_once_record_one_mark(server_app, engine):
    with server_app.app_context(), Session(engine) as session:
        make = Factory(session)
        group = held_group(make, days_ago=(0,))
        person = registered_before(make, group, first_name="Olena")
        doors = [Organiser(email=f"door{n}@example.org", password_hash="-") for n in (1, 2)]
        for door in doors:
            door.events.append(group.event)
        session.add_all(doors)
        session.flush()
        _row, token = issue_token(session, doors[1])
        session.commit()
        url, code = checkins_url(group.dates[0]), code_of(person)
        ids = (person.id, group.dates[0].id, doors[0].id)
    first_at = (utcnow() - timedelta(minutes=2)).astimezone(BRUSSELS)
    answered: list[Any] = []

    with Session(engine) as first_door:
        # The first door's mark, written but not yet committed.
        registration_id, date_id, first_door_id = ids
        first_door.add(
            Attendance(
                registration_id=registration_id,
                session_date_id=date_id,
                present=True,
                marked_at=first_at,
                marked_by_id=first_door_id,
            )
        )
        first_door.flush()

        def second_door() -> None:
            answered.append(
                server_app.test_client().post(
                    url,
                    json={"marks": [{"code": code, "marked_at": utcnow().isoformat()}]},
                    headers={"Authorization": f"Bearer {token}"},
                )
            )

        thread = threading.Thread(target=second_door)
        thread.start()
        eventually(lambda: waiting_on_a_transaction(engine) == 1, what="the second door's wait")
        first_door.commit()
    thread.join(timeout=10)

    (response,) = answered
    assert response.status_code == 200
    assert response.json["errors"] == {}
    assert [(a["outcome"], a["recorded_at"]) for a in response.json["answers"]] == [
        ("already_recorded", first_at.isoformat())
    ]
    with Session(engine) as session:
        assert session.scalars(select(Attendance.marked_at)).all() == [first_at]
        journalled = select(func.count()).where(AuditEntry.action == "attendance.checked_in")
        assert session.scalar(journalled) == 0
