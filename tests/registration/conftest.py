"""The registration service is the app under test here."""

from decimal import Decimal

import pytest
from flask import Flask

from shared.models import AnswerKind, RegistrationQuestion
from tests.support.links import TEST_SECRET
from tests.support.servers import serving


@pytest.fixture
def app(registration_app: Flask) -> Flask:
    """The registration service."""
    return registration_app


@pytest.fixture
def registration_server(committed_database, redis_server, tmp_path):
    """The registration service under gunicorn (2 processes × 4 threads) on a free port."""
    env = {
        "DATABASE_URL": committed_database,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": TEST_SECRET,
        # 200 simultaneous requests queue for one group's lock; allow them the time.
        "DATABASE_LOCK_TIMEOUT_MS": "30000",
    }
    with serving("services.registration", env, tmp_path / "gunicorn.log") as base_url:
        yield base_url


def choice(key, fr, **others):
    """A choice offered, labelled in French and the ``others`` languages."""
    return {"key": key, "label": {"fr": fr, **others}, "hidden": False}


@pytest.fixture
def asking_group(make, db_session):
    """A group whose event asks seven questions (one hidden, one asked after a given answer),
    and their ids by name: status, since, languages, vehicle, years, country, old."""
    group = make.group()
    status = RegistrationQuestion(
        position=0,
        kind=AnswerKind.ONE_CHOICE,
        wording={"fr": "Situation professionnelle", "en": "Employment status"},
        required=True,
        choices=[
            choice("emploi", "En emploi", en="Employed"),
            choice("chomage", "Demandeur·se d'emploi"),
            {**choice("etudes", "Aux études"), "hidden": True},
        ],
    )
    questions = {
        "status": status,
        "since": RegistrationQuestion(
            position=1,
            kind=AnswerKind.DATE,
            wording={"fr": "Depuis quand ?"},
            required=True,
            condition_question=status,
            condition_choice="chomage",
        ),
        "languages": RegistrationQuestion(
            position=2,
            kind=AnswerKind.SEVERAL_CHOICES,
            wording={"fr": "Langues parlées"},
            choices=[choice("ar", "Arabe"), choice("uk", "Ukrainien"), choice("fr", "Français")],
        ),
        "vehicle": RegistrationQuestion(
            position=3, kind=AnswerKind.YES_NO, wording={"fr": "Un véhicule ?"}
        ),
        "years": RegistrationQuestion(
            position=4,
            kind=AnswerKind.NUMBER,
            wording={"fr": "Années d'expérience"},
            minimum=Decimal(0),
            maximum=Decimal(60),
        ),
        "country": RegistrationQuestion(
            position=5, kind=AnswerKind.COUNTRY, wording={"fr": "Pays de naissance"}
        ),
        "old": RegistrationQuestion(
            position=6, kind=AnswerKind.TEXT, wording={"fr": "Ancienne question"}, hidden=True
        ),
    }
    group.event.registration_questions = list(questions.values())
    group.event.asked_questions = 6
    db_session.commit()
    return group, {name: str(q.id) for name, q in questions.items()}
