"""The organiser area: the registration service, organiser accounts, logged-in clients."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.accounts.auth import issue_token
from shared.database import utcnow
from shared.domain.closing import close_group
from shared.domain.evaluations import evaluation_link_token, invitation_of
from shared.i18n import BRUSSELS
from shared.models import (
    Attendance,
    AuditEntry,
    Event,
    Group,
    Organiser,
    OutboxMessage,
    Registration,
)
from tests.support.factories import Factory, local

PASSWORD = "correct horse battery staple"
# Cheap parameters keep the suite fast; logging in verifies any argon2 parameters.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(base_config: dict[str, Any]) -> Iterator[Flask]:
    """The registration service, with login rate limits counted apart from other tests."""
    from services.registration import create_app

    app = create_app(
        {
            **base_config,
            "RATE_LIMITS_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": f"test-{secrets.token_hex(4)}",
        }
    )
    yield app
    app.extensions["database"].engine.dispose()


@dataclass
class Account:
    """An organiser with their personal API token."""

    organiser: Organiser
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        """Authorization header for the API."""
        return {"Authorization": f"Bearer {self.token}"}


class Accounts:
    """Creates organiser accounts in the test's session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.count = 0

    def __call__(self, *events: Event, admin: bool = False, email: str | None = None) -> Account:
        """An organiser running ``events`` (or every event, as an admin)."""
        self.count += 1
        organiser = Organiser(
            email=email or f"organiser{self.count}-{secrets.token_hex(3)}@example.org",
            name=f"Organisateur {self.count}",
            password_hash=FAST_HASHER.hash(PASSWORD),
            is_admin=admin,
            events=list(events),
        )
        self.session.add(organiser)
        self.session.flush()
        _api_token, token = issue_token(self.session, organiser)
        self.session.commit()
        return Account(organiser, token)


@pytest.fixture
def accounts(db_session: Session) -> Accounts:
    """Make organiser accounts: ``accounts(event)``, ``accounts(admin=True)``."""
    return Accounts(db_session)


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session, read from the login form."""
    page = client.get("/organiser/login").get_data(as_text=True)
    return CSRF_INPUT.search(page).group(1)


def log_in(client: FlaskClient, account: Account, password: str = PASSWORD) -> Any:
    """Log the client in through the login form."""
    return client.post(
        "/organiser/login",
        data={
            "email": account.organiser.email,
            "password": password,
            "csrf_token": csrf_token(client),
        },
    )


def post_form(client: FlaskClient, url: str, **data: Any) -> Any:
    """Submit an organiser form with the session's CSRF token."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def outbox_kinds(session: Session) -> list[tuple[str, int | None]]:
    """Every queued email as (kind, registration id), oldest first."""
    rows = session.execute(
        select(OutboxMessage.kind, OutboxMessage.registration_id).order_by(OutboxMessage.id)
    )
    return [(kind, registration_id) for kind, registration_id in rows]


def audit_actions(session: Session) -> list[tuple[str, int | None, int | None]]:
    """Every audit entry as (action, organiser id, registration id), oldest first."""
    rows = session.execute(
        select(AuditEntry.action, AuditEntry.organiser_id, AuditEntry.registration_id).order_by(
            AuditEntry.id
        )
    )
    return [tuple(row) for row in rows]


# What the audit log records of signing in, beside the changes made.
SIGN_IN_ACTIONS = ("login.succeeded", "login.failed", "two_factor.failed")


def changes_recorded(session: Session) -> list[str]:
    """Every audit entry's action but those of signing in, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.not_in(SIGN_IN_ACTIONS))
            .order_by(AuditEntry.id)
        )
    )


def held_days_ago(*days: int) -> list[tuple[datetime, datetime]]:
    """Dates held ``days`` calendar days before today in Brussels, 09:30 to 16:00: presence may
    be recorded on them (0 is today; a negative number, a day still to come)."""
    today = utcnow().astimezone(BRUSSELS).date()
    return [
        (local(f"{today - timedelta(days=n)}T09:30"), local(f"{today - timedelta(days=n)}T16:00"))
        for n in days
    ]


def held_group(
    make: Factory, event: Event | None = None, *, days_ago: tuple[int, ...] = (8, 1), **fields: Any
) -> Group:
    """A group whose dates were already held (by default a week apart, the last yesterday),
    of an event open to registration before them; fill it with :func:`registered_before`."""
    event = event or make.event(registration_opens_at=None)
    return make.group(event, dates=held_days_ago(*days_ago), **fields)


def registered_before(make: Factory, group: Group, **fields: Any) -> Registration:
    """A participant registered the day before the group's first date."""
    return make.registration(group, at=group.dates[0].starts_at - timedelta(days=1), **fields)


def closed_group(
    app: Flask,
    make: Factory,
    session: Session,
    *,
    present: int,
    absent: int = 0,
    event: Event | None = None,
    **fields: Any,
) -> tuple[Group, list[str]]:
    """A group held nine and two days ago, closed yesterday: ``present`` participants came on
    its first date, each invited to evaluate it, ``absent`` came on none; and the link tokens
    of those invited."""
    group = held_group(make, event, days_ago=(9, 2), **fields)
    people = [registered_before(make, group) for _ in range(present + absent)]
    for person in people[:present]:
        session.add(Attendance(registration=person, session_date=group.dates[0], present=True))
    session.commit()
    with app.app_context():
        close_group(session, group, now=utcnow() - timedelta(days=1))
        session.commit()
        invitations = [invitation_of(session, person) for person in people[:present]]
        tokens = [evaluation_link_token(invitation) for invitation in invitations if invitation]
    return group, tokens
