"""Organiser page of an event's registration questions: each with its kind, texts per
language, choices and condition, and blank rows to add more without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.registration.area import Page, apply, load_form, pages_blueprint
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.pages.evaluations import question_problems
from services.registration.organiser.schemas.base import QUESTION_FORM_PREFIX, question_row
from services.registration.organiser.schemas.registration_questions import (
    CATEGORY_MARK,
    HIDDEN_MARK,
    RegistrationQuestionsInputSchema,
    choice_lines,
)
from shared.access import current_event
from shared.database import db
from shared.domain.indicators import INDICATORS
from shared.domain.registration_questions import answered_question_ids
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from shared.labels import ANSWER_KIND_LABELS
from shared.models import AnswerKind, Event

bp = pages_blueprint("registration_question_pages", __name__)
NEW_ROWS = 2


@bp.get("/events/<event_slug>/registration/questions")
def questions(event_slug: str) -> Page:
    """The questions of the event's registration form, and blank rows to add."""
    event = current_event()
    return _editor(event, _question_values(event))


@bp.post("/events/<event_slug>/registration/questions")
def replace_questions(event_slug: str) -> Response | Page:
    """Save the questions as the form lists them; blank rows and removed ones are left out."""
    event = current_event()
    return apply(
        lambda: actions.replace_registration_questions(
            organising(), load_form(RegistrationQuestionsInputSchema())
        ),
        done=_("Questions d'inscription enregistrées."),
        then=url_for(".questions", event_slug=event.slug),
        on_refusal=lambda refusal: _editor(event, request.form, refusal),
    )


def _question_values(event: Event) -> dict[str, str]:
    values = {}
    for number, question in enumerate(event.registration_questions):
        row = f"{QUESTION_FORM_PREFIX}{number}-"
        values[f"{row}id"] = str(question.id)
        values[f"{row}kind"] = question.kind.value
        for language in LANGUAGES:
            values[f"{row}{language}"] = question.wording.get(language, "")
            values[f"{row}help_{language}"] = question.help.get(language, "")
        values[f"{row}choices"] = choice_lines(question.choices)
        for bound in ("minimum", "maximum"):
            value = getattr(question, bound)
            values[f"{row}{bound}"] = "" if value is None else str(value)
        values[f"{row}indicator"] = question.indicator or ""
        values[f"{row}required"] = "y" if question.required else ""
        values[f"{row}hidden"] = "y" if question.hidden else ""
        if question.condition_question is not None:
            values[f"{row}condition"] = (
                f"{question.condition_question.position}:{question.condition_choice}"
            )
    return values


def _conditions(event: Event) -> list[tuple[str, str]]:
    """The answers a question may wait for: each choice of a saved one-choice question."""
    language = current_language()
    options = [("", _("Toujours posée"))]
    for question in event.registration_questions:
        if question.kind != AnswerKind.ONE_CHOICE or question.condition_question is not None:
            continue
        for choice in question.choices:
            label = question.choice_label(choice["key"], language)
            options.append(
                (
                    f"{question.position}:{choice['key']}",
                    _(
                        "Si « %(question)s » = « %(choice)s »",
                        question=question.text(language),
                        choice=label,
                    ),
                )
            )
    return options


def _editor(event: Event, values: Mapping[str, Any], refusal: Any = None) -> Page:
    rows = len(event.registration_questions) + NEW_ROWS
    if refusal is not None:
        submitted = [row[0] + 1 for key in values if (row := question_row(key)) is not None]
        rows = max([rows, *submitted])
    return render_template(
        "organiser/registration_questions.html",
        event=event,
        rows=range(rows),
        prefix=QUESTION_FORM_PREFIX,
        values=values,
        languages=LANGUAGES,
        default_language=DEFAULT_LANGUAGE,
        kind_labels=ANSWER_KIND_LABELS,
        conditions=_conditions(event),
        indicators=[("", _("Aucun"))]
        + [
            (key, f"{indicator.label} ({', '.join(indicator.category_keys)})")
            for key, indicator in INDICATORS.items()
        ],
        category_mark=CATEGORY_MARK,
        hidden_mark=HIDDEN_MARK,
        answered=answered_question_ids(db.session, event),
        refusal=refusal,
        problems=question_problems(refusal.errors) if refusal else [],
    ), refusal.status if refusal else 200
