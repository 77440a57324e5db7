"""Two organisers booking the same room at overlapping times at the same moment, over HTTP
to a multi-process server: one booking wins, the other is refused as a clash."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.registration.accounts.auth import issue_token
from shared.database import create_db_engine
from shared.models import Organiser, SessionDate
from tests.support.factories import Factory
from tests.support.load import all_at_once

ROUNDS = 5


@pytest.fixture
def rivals(committed_database):
    """Two groups of two events meeting in one room, and an administrator's API token."""
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        make = Factory(session)
        room = make.room()
        groups = [make.group(make.event(), dates=[]) for _ in range(2)]
        for group in groups:
            group.venue, group.room = room.venue, room
        admin = Organiser(email="admin@example.org", name="Admin", password_hash="-", is_admin=True)
        session.add(admin)
        session.flush()
        _row, token = issue_token(session, admin)
        session.commit()
        paths = [f"/api/v1/events/{g.event.slug}/groups/{g.slug}/dates" for g in groups]
    engine.dispose()
    return paths, {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
def test_two_bookings_of_one_room_at_once_never_both_succeed(
    registration_server, committed_database, rivals
):
    paths, bearer = rivals
    outcomes = []
    for day in range(1, ROUNDS + 1):
        body = {"start": f"2030-04-{day:02d}T09:30", "end": f"2030-04-{day:02d}T16:00"}
        responses = all_at_once(
            2,
            lambda i, body=body: requests.post(
                registration_server + paths[i], json=body, headers=bearer, timeout=60
            ),
        )
        outcomes.append(sorted(r.status_code for r in responses))

    assert outcomes == [[201, 409]] * ROUNDS
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        assert session.scalar(select(func.count(SessionDate.id))) == ROUNDS
    engine.dispose()
