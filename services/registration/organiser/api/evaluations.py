"""Organiser API: an event's evaluation questionnaire and its anonymous figures. Every route
needs a personal Bearer token of one of the event's organisers."""

from __future__ import annotations

from typing import Any

from flask import Response

from services.registration.area import api_blueprint
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.downloads import evaluation_csv
from services.registration.organiser.evaluation_figures import (
    EvaluationFigures,
    evaluation_figures,
)
from services.registration.organiser.schemas.evaluations import (
    EvaluationFiguresSchema,
    QuestionnaireInputSchema,
    QuestionnaireSchema,
)
from shared.access import current_event
from shared.database import db
from shared.domain.evaluations import is_frozen, questionnaire

bp = api_blueprint("organiser_evaluations", __name__, "Organisers: evaluations")


@bp.route("/events/<event_slug>/evaluation/questions", methods=["GET"])
@bp.response(200, QuestionnaireSchema)
def questions(event_slug: str) -> dict[str, Any]:
    """The event's questions (the default set until changed), and whether they still may."""
    event = current_event()
    return {"frozen": is_frozen(event), "questions": questionnaire(event)}


@bp.route("/events/<event_slug>/evaluation/questions", methods=["PUT"])
@bp.arguments(QuestionnaireInputSchema)
@bp.response(200, QuestionnaireSchema)
@bp.alt_response(409, description="Invitations went out: the questions no longer change")
def replace_questions(data: dict[str, Any], event_slug: str) -> dict[str, Any]:
    """Replace the event's questions, in order, before its first group is closed."""
    return {"frozen": False, "questions": actions.replace_questions(organising(), data)}


@bp.route("/events/<event_slug>/evaluations", methods=["GET"])
@bp.response(200, EvaluationFiguresSchema)
def figures(event_slug: str) -> EvaluationFigures:
    """Response rate, averages, distributions and free texts, per group and in all; a scope
    with fewer answers than ``minimum_answers`` shows none."""
    return evaluation_figures(db.session, current_event())


@bp.route("/events/<event_slug>/evaluations.csv", methods=["GET"])
@bp.response(200, description="The same figures as CSV", content_type="text/csv")
def figures_file(event_slug: str) -> Response:
    """The evaluation's figures as CSV, naming nobody."""
    return evaluation_csv(current_event())
