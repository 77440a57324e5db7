"""Organiser pages of an event's evaluation: its figures (anonymous, hidden below the
threshold) and the editor of its questions, usable until the first invitations go out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.registration.area import Page, apply, load_form, pages_blueprint
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.downloads import evaluation_csv
from services.registration.organiser.evaluation_figures import evaluation_figures
from services.registration.organiser.schemas.base import QUESTION_FORM_PREFIX, question_row
from services.registration.organiser.schemas.evaluations import QuestionnaireInputSchema
from shared.access import current_event
from shared.database import db
from shared.domain.evaluations import MIN_ANSWERS_SHOWN, is_frozen, questionnaire
from shared.errors import DomainError
from shared.i18n import LANGUAGES
from shared.labels import QUESTION_KIND_LABELS
from shared.models import Event

bp = pages_blueprint("evaluation_pages", __name__)
# Blank rows under the questions, to add as many at once without JavaScript.
NEW_ROWS = 2


@bp.get("/events/<event_slug>/evaluations")
def figures(event_slug: str) -> str:
    """The evaluation's figures per group and in all, and the free texts."""
    event = current_event()
    return render_template(
        "organiser/evaluations.html",
        event=event,
        figures=evaluation_figures(db.session, event),
        minimum=MIN_ANSWERS_SHOWN,
    )


@bp.get("/events/<event_slug>/evaluations.csv")
def figures_file(event_slug: str) -> Response:
    """The evaluation's figures as CSV."""
    return evaluation_csv(current_event())


@bp.get("/events/<event_slug>/evaluation/questions")
def questions(event_slug: str) -> Page:
    """The questions, each with its kind and wording per language, and blank rows to add."""
    event = current_event()
    return _editor(event, _question_values(event))


@bp.post("/events/<event_slug>/evaluation/questions")
def replace_questions(event_slug: str) -> Response | Page:
    """Save the questions as the form lists them; blank rows and removed ones are left out."""
    event = current_event()
    return apply(
        lambda: actions.replace_questions(organising(), load_form(QuestionnaireInputSchema())),
        done=_("Questionnaire enregistré."),
        then=url_for(".questions", event_slug=event.slug),
        on_refusal=lambda refusal: _editor(event, request.form, refusal),
    )


def _question_values(event: Event) -> dict[str, str]:
    values = {}
    for number, question in enumerate(questionnaire(event)):
        row = f"{QUESTION_FORM_PREFIX}{number}-"
        values[f"{row}kind"] = question.kind.value
        for language in LANGUAGES:
            values[f"{row}{language}"] = question.wording.get(language, "")
    return values


def _editor(event: Event, values: Mapping[str, str], refusal: DomainError | None = None) -> Page:
    rows = len(questionnaire(event)) + NEW_ROWS
    if refusal is not None:
        # The form comes back as submitted: as many rows as it had, blank ones included.
        submitted = [row[0] + 1 for key in values if (row := question_row(key)) is not None]
        rows = max([rows, *submitted])
    return render_template(
        "organiser/questionnaire.html",
        event=event,
        frozen=is_frozen(event),
        rows=range(rows),
        prefix=QUESTION_FORM_PREFIX,
        values=values,
        languages=LANGUAGES,
        kind_labels=QUESTION_KIND_LABELS,
        refusal=refusal,
        problems=question_problems(refusal.errors) if refusal else [],
    ), refusal.status if refusal else 200


def question_problems(errors: Mapping[str, Any]) -> list[str]:
    """The refusal's messages in words: "Question 2: …" for one question's field."""
    found = []
    for messages in errors.values():
        for message in messages:
            if not isinstance(message, Mapping):
                found.append(str(message))
                continue
            for index, nested in message.items():
                found.extend(
                    _("Question %(num)s : %(text)s", num=int(index) + 1, text=text)
                    for text in _texts_in(nested)
                )
    return found


def _texts_in(nested: Any) -> list[str]:
    # A nested field's messages come as lists of {field: [messages]}.
    if isinstance(nested, Mapping):
        return [text for inner in nested.values() for text in _texts_in(inner)]
    if isinstance(nested, list):
        return [text for inner in nested for text in _texts_in(inner)]
    return [str(nested)]
