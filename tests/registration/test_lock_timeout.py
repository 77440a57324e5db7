"""A registration that cannot get the group's lock in time answers a retryable 503."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from services.registration import create_app
from shared.database import create_db_engine, is_lock_timeout
from shared.models import Group, Registration
from tests.conftest import closing
from tests.registration.helpers import registration_body
from tests.support.factories import Factory


@pytest.fixture
def impatient_app(base_config, committed_database):
    yield from closing(create_app({**base_config, "DATABASE_LOCK_TIMEOUT_MS": 300}))


def test_lock_wait_past_the_timeout_is_503_with_retry_after(impatient_app, committed_database):
    engine = create_db_engine(committed_database)
    with Session(engine) as setup:
        group = Factory(setup).group(Factory(setup).event(slug="busy"), slug="jambes")
        group_id = group.id

    with engine.connect() as holder:
        # Another transaction holds the group: its row lock, or SQLite's write lock.
        holder.begin()
        if engine.dialect.name == "postgresql":
            holder.execute(select(Group.id).where(Group.id == group_id).with_for_update())
        else:
            holder.execute(
                text("UPDATE groups SET revision = revision WHERE id = :id"), {"id": group_id}
            )

        response = impatient_app.test_client().post(
            "/api/v1/events/busy/registrations",
            json=registration_body("jambes"),
            headers={"Accept-Language": "en"},
        )
        holder.rollback()

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.json["code"] == "busy"
    with Session(engine) as check:
        assert check.scalar(select(func.count(Registration.id))) == 0
    engine.dispose()


@pytest.mark.parametrize(
    ("sqlstate", "message", "retryable"),
    [
        ("55P03", "canceling statement due to lock timeout", True),
        ("40P01", "deadlock detected", True),
        (None, "database is locked", True),
        ("23505", "duplicate key value violates unique constraint", False),
    ],
)
def test_which_database_errors_are_worth_retrying(sqlstate, message, retryable):
    class DriverError(Exception):
        pass

    driver_error = DriverError(message)
    driver_error.sqlstate = sqlstate

    assert is_lock_timeout(DBAPIError("statement", {}, driver_error)) is retryable
