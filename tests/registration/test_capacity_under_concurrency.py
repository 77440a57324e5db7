"""Capacity holds under real concurrency: many simultaneous requests over HTTP to a
multi-process gunicorn server, on whichever database the suite runs against."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import create_db_engine
from shared.models import Registration, RegistrationStatus
from tests.registration.helpers import registration_body
from tests.support.factories import Factory
from tests.support.load import all_at_once

ATTEMPTS = 200
CAPACITY = 20


@pytest.fixture
def group_slug(committed_database):
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        group = Factory(session).group(
            Factory(session).event(slug="rush"), slug="jambes", capacity=CAPACITY
        )
        slug = group.slug
    engine.dispose()
    return slug


def stored(committed_database) -> list[Registration]:
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        rows = list(session.scalars(select(Registration).order_by(Registration.id)))
    engine.dispose()
    return rows


@pytest.mark.slow
def test_concurrent_registrations_never_overfill_and_cancellations_promote_in_order(
    registration_server, committed_database, group_slug
):
    url = f"{registration_server}/api/v1/events/rush/registrations"

    def register(i):
        body = registration_body(group_slug, email=f"rush{i}@example.org")
        return requests.post(url, json=body, timeout=120)

    responses = all_at_once(ATTEMPTS, register)

    assert sorted({r.status_code for r in responses}) == [201]
    results = [r.json() for r in responses]
    confirmed = [r for r in results if r["status"] == "confirmed"]
    waitlisted = sorted(
        (r for r in results if r["status"] == "waitlisted"), key=lambda r: r["waitlist_position"]
    )
    assert len(confirmed) == CAPACITY
    assert [r["waitlist_position"] for r in waitlisted] == list(range(1, ATTEMPTS - CAPACITY + 1))
    rows = stored(committed_database)
    assert sum(r.status is RegistrationStatus.CONFIRMED for r in rows) == CAPACITY

    cancellations = all_at_once(
        5,
        lambda i: requests.post(
            f"{registration_server}/api/v1/registrations/{confirmed[i]['manage_token']}/cancel",
            timeout=60,
        ),
    )

    assert [r.status_code for r in cancellations] == [200] * 5
    after = {r.id: r for r in stored(committed_database)}
    first_five = [after[r["id"]] for r in waitlisted[:5]]
    assert all(r.status is RegistrationStatus.CONFIRMED for r in first_five)
    assert sum(r.status is RegistrationStatus.CONFIRMED for r in after.values()) == CAPACITY
    still_waiting = sorted(
        r.waitlist_position for r in after.values() if r.status is RegistrationStatus.WAITLISTED
    )
    assert still_waiting == list(range(1, ATTEMPTS - CAPACITY - 5 + 1))


@pytest.fixture
def confirming_group_slug(committed_database):
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        make = Factory(session)
        group = make.group(
            make.event(slug="confirm-rush", confirmation_hours=24),
            slug="salzinnes",
            capacity=CAPACITY,
        )
        slug = group.slug
    engine.dispose()
    return slug


@pytest.mark.slow
def test_places_held_until_confirmed_never_overfill_under_a_rush_with_repeated_addresses(
    registration_server, committed_database, confirming_group_slug
):
    url = f"{registration_server}/api/v1/events/confirm-rush/registrations"

    def register(i):
        # Every fourth request repeats an address: a squatter replaying a victim's.
        body = registration_body(confirming_group_slug, email=f"held{i - i % 4}@example.org")
        return requests.post(url, json=body, timeout=120)

    responses = all_at_once(ATTEMPTS // 2, register)

    assert {r.status_code for r in responses} == {201}
    assert {r.json()["status"] for r in responses} == {"awaiting_confirmation"}
    rows = stored(committed_database)
    assert len(rows) == ATTEMPTS // 2 // 4
    assert sum(r.status is RegistrationStatus.CONFIRMED for r in rows) == CAPACITY
    waiting = sorted(r.waitlist_position for r in rows if r.status is RegistrationStatus.WAITLISTED)
    assert waiting == list(range(1, len(rows) - CAPACITY + 1))
