"""A TOTP code, or a recovery code, sent by two requests at the same moment is accepted once,
on PostgreSQL: both find it unused, both try to mark it; the second waits on the first's
update, and once that commits finds its condition false. The overlap is forced: the first
commits only after the second waits on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyotp
import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.registration.accounts.two_factor import (
    _new_recovery_codes,
    verify_second_factor,
)
from shared.database import utcnow
from shared.models import Organiser
from tests.support.databases import waiting_on_a_transaction
from tests.support.mail import eventually


@pytest.fixture
def enrolled(app: Flask, engine: Engine) -> Iterator[tuple[int, str, list[str]]]:
    """An organiser with two-factor sign-in: their id, TOTP secret and recovery codes (kept
    as digests keyed with the app's secret)."""
    with app.app_context(), Session(engine) as session:
        organiser = Organiser(
            email="race@example.org",
            password_hash="-",
            totp_secret=pyotp.random_base32(),
            totp_confirmed_at=utcnow(),
        )
        session.add(organiser)
        session.flush()
        codes = _new_recovery_codes(session, organiser)
        session.commit()
        yield organiser.id, organiser.totp_secret, codes


def race(app: Flask, engine: Engine, organiser_id: int, code: str) -> list[bool]:
    """What two sessions sending ``code`` together were told: the first's answer, then the
    second's."""
    answers: list[bool] = []
    context = app.app_context()
    context.push()
    first = Session(engine)
    answers.append(verify_second_factor(first, first.get(Organiser, organiser_id), code))

    def second() -> None:
        with app.app_context(), Session(engine) as session:
            answers.append(
                verify_second_factor(session, session.get(Organiser, organiser_id), code)
            )
            session.commit()

    thread = threading.Thread(target=second)
    thread.start()
    eventually(lambda: waiting_on_a_transaction(engine) == 1, what="the second's wait")
    first.commit()
    first.close()
    thread.join(timeout=10)
    context.pop()
    return answers


def test_a_totp_code_sent_twice_at_once_is_accepted_once(app, engine, enrolled):
    organiser_id, secret, _codes = enrolled
    code = pyotp.TOTP(secret).now()

    assert race(app, engine, organiser_id, code) == [True, False]


def test_a_recovery_code_sent_twice_at_once_is_accepted_once(app, engine, enrolled):
    organiser_id, _secret, codes = enrolled

    assert race(app, engine, organiser_id, codes[0]) == [True, False]
