"""The questions an event adds to its registration form.

Organisers replace the whole list at once. Once a question has answers, what the answers
mean is kept: its kind no longer changes, it is not deleted (only hidden from new
registrations) and none of its answered choices is removed (only hidden). An edit that would
lose that meaning is refused, naming what is kept (see docs/funders.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from babel import Locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shared.domain.indicators import is_sensitive, with_prefer_not_to_say
from shared.errors import InvalidRequest, QuestionsKept
from shared.i18n import DEFAULT_LANGUAGE
from shared.labels import ANSWER_KIND_LABELS
from shared.models import (
    AnswerKind,
    Event,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
)
from shared.models.registration_questions import CHOICE_KINDS

MAX_QUESTIONS = 30
# With RETURNING, SQLAlchemy sends many rows as one INSERT (its "insertmanyvalues"), not one
# statement a row: of the ways tried, the one costing a registration the least processor time.
_ANSWERS = RegistrationAnswer.__table__
_INSERT_ANSWERS = insert(_ANSWERS).returning(_ANSWERS.c.id)
# Territories Babel names that are no country one lives in or comes from.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}

KIND_KEPT = _l("« %(question)s » a déjà des réponses : elle reste du type « %(kind)s ».")
QUESTION_KEPT = _l(
    "« %(question)s » a déjà des réponses : elle est gardée ; masquez-la plutôt que de la retirer."
)
CHOICE_KEPT = _l(
    "Le choix « %(choice)s » de « %(question)s » a déjà été choisi : il est gardé ; "
    "masquez-le plutôt que de le retirer."
)
UNKNOWN_QUESTION = _l("Cette question n'existe pas dans ce formulaire.")
YES_NO_WORDS = {True: _l("Oui"), False: _l("Non")}


@cache
def country_codes() -> tuple[str, ...]:
    """The ISO 3166 two-letter codes a country answer may hold, in order."""
    territories = Locale.parse(DEFAULT_LANGUAGE).territories
    return tuple(
        sorted(
            code
            for code in territories
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
        )
    )


def country_name(code: str, language: str) -> str:
    """A country's name in ``language``."""
    return Locale.parse(language).territories.get(code, code)


@cache
def countries(language: str) -> tuple[tuple[str, str], ...]:
    """Every country as (code, name in ``language``), in the order of their names."""
    names = ((code, country_name(code, language)) for code in country_codes())
    return tuple(sorted(names, key=lambda pair: pair[1]))


def answer_text(question: RegistrationQuestion, value: Any, language: str) -> str:
    """An answer as people read it: choices by their label, yes or no, a country's name."""
    if question.kind == AnswerKind.ONE_CHOICE:
        return question.choice_label(value, language)
    if question.kind == AnswerKind.SEVERAL_CHOICES:
        return ", ".join(question.choice_label(key, language) for key in value)
    if question.kind == AnswerKind.YES_NO:
        return str(YES_NO_WORDS[bool(value)])
    if question.kind == AnswerKind.COUNTRY:
        return country_name(value, language)
    return str(value)


def answers_by_registration(
    session: Session, registration_ids: list[int]
) -> dict[int, dict[int, Any]]:
    """The answers of these registrations, by registration and question id, in one query."""
    answers: dict[int, dict[int, Any]] = {}
    if registration_ids:
        rows = session.execute(
            select(
                RegistrationAnswer.registration_id,
                RegistrationAnswer.question_id,
                RegistrationAnswer.value,
            ).where(RegistrationAnswer.registration_id.in_(registration_ids))
        )
        for registration_id, question_id, value in rows:
            answers.setdefault(registration_id, {})[question_id] = value
    return answers


def answered_question_ids(session: Session, event: Event) -> set[int]:
    """The event's questions that at least one registration answered."""
    return set(
        session.scalars(
            select(RegistrationAnswer.question_id)
            .join(RegistrationQuestion)
            .where(RegistrationQuestion.event_id == event.id)
            .distinct()
        )
    )


def offered_questions(event: Event) -> list[RegistrationQuestion]:
    """The questions a new registration is asked, in order (read only if it asks some)."""
    if not event.asked_questions:
        return []
    return [question for question in event.registration_questions if not question.hidden]


def record_answers(
    session: Session, answered: Iterable[tuple[Registration, Mapping[int, Any]]]
) -> None:
    """Store new registrations' answers (validated, by question id), in one statement."""
    rows = [
        {"registration_id": registration.id, "question_id": question_id, "value": value}
        for registration, answers in answered
        for question_id, value in answers.items()
    ]
    if rows:
        session.connection().execute(_INSERT_ANSWERS, rows)


def replace_questions(
    session: Session, event: Event, questions: list[dict[str, Any]]
) -> list[RegistrationQuestion]:
    """Give the event's form these questions, in this order (those with an ``id`` are
    edited, the others added, the missing ones removed); refused if answers would lose
    their meaning."""
    questions = [
        {**data, "choices": with_prefer_not_to_say(data.get("choices") or [])}
        if is_sensitive(data.get("indicator"))
        else data
        for data in questions
    ]
    existing = {q.id: q for q in event.registration_questions}
    unknown = {
        f"questions.{index}.id": [UNKNOWN_QUESTION]
        for index, data in enumerate(questions)
        if data.get("id") is not None and data["id"] not in existing
    }
    if unknown:
        raise InvalidRequest(errors=unknown)
    _check_answers_kept(session, existing, questions, answered_question_ids(session, event))
    kept = []
    for position, data in enumerate(questions):
        question = existing.get(data.get("id")) or RegistrationQuestion()
        question.position = position
        question.kind = data["kind"]
        question.wording = data["wording"]
        question.help = data.get("help") or {}
        question.required = data.get("required", False)
        question.hidden = data.get("hidden", False)
        question.choices = data.get("choices") or []
        question.minimum = data.get("minimum")
        question.maximum = data.get("maximum")
        question.indicator = data.get("indicator")
        kept.append(question)
    for question, data in zip(kept, questions, strict=True):
        condition = data.get("condition")
        question.condition_question = kept[condition["question"]] if condition else None
        question.condition_choice = condition["choice"] if condition else None
    event.registration_questions = kept
    event.asked_questions = sum(not question.hidden for question in kept)
    # What the event shows changed: caches keyed on its revision are renewed.
    event.revision += 1
    session.flush()
    return kept


def _check_answers_kept(
    session: Session,
    existing: dict[int, RegistrationQuestion],
    questions: list[dict[str, Any]],
    answered: set[int],
) -> None:
    """Refuse, naming each, the changes that would lose what answers mean."""
    rows = {data["id"]: (index, data) for index, data in enumerate(questions) if data.get("id")}
    errors: dict[str, list[Any]] = {}
    for question_id in sorted(answered):
        question = existing[question_id]
        wording = question.text(DEFAULT_LANGUAGE)
        if question_id not in rows:
            errors[f"question.{question_id}"] = [QUESTION_KEPT % {"question": wording}]
            continue
        index, data = rows[question_id]
        if data["kind"] != question.kind:
            kind = ANSWER_KIND_LABELS[question.kind]
            errors[f"questions.{index}.kind"] = [KIND_KEPT % {"question": wording, "kind": kind}]
            continue
        if question.kind not in CHOICE_KINDS:
            continue
        offered = {choice["key"] for choice in data.get("choices") or []}
        for choice in question.choices:
            if choice["key"] not in offered and _chosen(session, question, choice["key"]):
                label = question.choice_label(choice["key"], DEFAULT_LANGUAGE)
                errors.setdefault(f"questions.{index}.choices", []).append(
                    CHOICE_KEPT % {"choice": label, "question": wording}
                )
    if errors:
        raise QuestionsKept(errors=errors)


def _chosen(session: Session, question: RegistrationQuestion, key: str) -> bool:
    """Whether some registration picked this choice of the question."""
    values = session.scalars(
        select(RegistrationAnswer.value).where(RegistrationAnswer.question_id == question.id)
    )
    if question.kind == AnswerKind.ONE_CHOICE:
        return any(value == key for value in values)
    return any(key in (value or []) for value in values)
