"""Fixtures of the notifications tests: the service app, a real SMTP server, a real Celery
worker on the test's Redis and database, the registration API to register through, and
organisers with API tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import create_db_engine, utcnow
from shared.domain.accounts import TOKEN_LIFETIME_DAYS
from shared.models import ApiToken, EmailMessage, Event, Group, Organiser
from shared.tokens import digest, new_token
from tests.conftest import closing
from tests.support.factories import Factory, local
from tests.support.links import TEST_SECRET
from tests.support.mail import FAST_DELIVERY, CeleryWorker, SmtpServer
from tests.support.servers import RedisServer

BASE_URL = "https://inscriptions.example.org"


@pytest.fixture
def app(base_config: dict[str, Any]) -> Iterator[Flask]:
    """The notifications service."""
    from services.notifications import create_app

    yield from closing(create_app({**base_config, "REGISTRATION_BASE_URL": BASE_URL}))


@pytest.fixture
def quiet_outbox(app: Flask) -> None:
    """Outbox rows written in-process are not published: no worker is there to take them."""
    app.extensions["outbox_publisher"] = lambda _ids: None


@pytest.fixture
def app_context(app: Flask, quiet_outbox: None) -> Iterator[None]:
    """Run the test inside the notifications app, as the worker's tasks do."""
    with app.app_context():
        yield


def create_organiser(
    session: Session, *events: Event, admin: bool = False, revoked: bool = False
) -> str:
    """Create an organiser of ``events`` (or an admin) and return their API token."""
    token = new_token()
    organiser = Organiser(
        email=f"organiser-{digest(token)[:8]}@example.org",
        name="Organiser",
        password_hash="not-used-here",
        is_admin=admin,
        events=list(events),
        tokens=[
            ApiToken(
                token_digest=digest(token),
                revoked_at=utcnow() if revoked else None,
                expires_at=utcnow() + timedelta(days=TOKEN_LIFETIME_DAYS),
            )
        ],
    )
    session.add(organiser)
    session.commit()
    return token


@pytest.fixture
def organiser_token(db_session: Session) -> Callable[..., str]:
    """Organisers with tokens, in the test's rolled-back transaction."""
    return lambda *events, **options: create_organiser(db_session, *events, **options)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free port."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def worker_env(
    committed_database: str, redis_server: RedisServer, smtp: SmtpServer
) -> dict[str, str]:
    """What a worker process needs: the test's database, Redis and SMTP server, and the
    secret key the test apps derive links under."""
    Redis.from_url(redis_server.url).flushdb()  # no task of an earlier test is left waiting
    return {
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": committed_database,
        "REDIS_URL": redis_server.url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_DEFAULT_SENDER": "Atelier <no-reply@atelier.example.org>",
        "REGISTRATION_BASE_URL": BASE_URL,
        **FAST_DELIVERY,
    }


@pytest.fixture
def start_worker(
    tmp_path: Path, worker_env: dict[str, str]
) -> Iterator[Callable[..., CeleryWorker]]:
    """Start a notifications worker (with beat); every one started is stopped afterwards."""
    started: list[CeleryWorker] = []

    def start(**overrides: str) -> CeleryWorker:
        worker = CeleryWorker(tmp_path / f"worker-{len(started)}", {**worker_env, **overrides})
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def committed(committed_database: str) -> Iterator[Session]:
    """A session whose commits are real, for data the worker process must see."""
    engine = create_db_engine(committed_database)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def workshop(committed: Session) -> Group:
    """A two-day workshop group in Jambes, committed, registration open."""
    factory = Factory(committed)
    event = factory.event(
        slug="atelier-experimentaliste",
        title={
            "fr": "Pratiquer l'action et l'évaluation expérimentalistes",
            "en": "Practising experimentalist action and evaluation",
            "uk": "Практика експерименталістської дії та оцінювання",
        },
        organiser_contact="reseau@example.org, 081/77 51 91",
    )
    group = factory.group(
        event,
        slug="jambes",
        name="Namur et Luxembourg",
        dates=[
            (local("2030-10-01T09:30"), local("2030-10-01T16:00")),
            (local("2030-11-05T09:30"), local("2030-11-05T16:00")),
        ],
    )
    # Load what the tests read, then end the transaction: on SQLite an open one would hold
    # the write lock the worker needs.
    assert group.event.slug and len(group.dates) == 2
    committed.commit()
    return group


def register_through(
    client: FlaskClient, group: Group, *, email: str, language: str = "fr"
) -> dict[str, Any]:
    """Register for ``group`` through the registration API; assert it answered 201."""
    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations",
        json={
            "group": group.slug,
            "first_name": "Awa",
            "last_name": "Diallo",
            "email": email,
            "role": "field_worker",
            "language": language,
            "consent": True,
            "commit_all_dates": True,
        },
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def register(registration_app: Flask) -> Callable[..., dict[str, Any]]:
    """Register through the registration service (its requests commit for real)."""
    client = registration_app.test_client()
    return lambda group, **fields: register_through(client, group, **fields)


def messages_in(session: Session, **criteria: Any) -> list[EmailMessage]:
    """The delivery log as it is now in the database."""
    session.expire_all()
    query = select(EmailMessage).filter_by(**criteria).order_by(EmailMessage.id)
    rows = list(session.scalars(query))
    session.commit()
    return rows
