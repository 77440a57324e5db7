"""Organiser API: the questions an event adds to its registration form. Every route needs a
personal Bearer token of one of the event's organisers."""

from __future__ import annotations

from typing import Any

from services.registration.area import api_blueprint
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.schemas.registration_questions import (
    RegistrationQuestionsInputSchema,
    RegistrationQuestionsSchema,
)
from shared.access import current_event
from shared.database import db
from shared.domain.registration_questions import answered_question_ids

bp = api_blueprint(
    "organiser_registration_questions", __name__, "Organisers: registration questions"
)


@bp.route("/events/<event_slug>/registration/questions", methods=["GET"])
@bp.response(200, RegistrationQuestionsSchema)
def questions(event_slug: str) -> dict[str, Any]:
    """The event's registration questions, in order, and those already answered."""
    event = current_event()
    return {
        "questions": event.registration_questions,
        "answered": sorted(answered_question_ids(db.session, event)),
    }


@bp.route("/events/<event_slug>/registration/questions", methods=["PUT"])
@bp.arguments(RegistrationQuestionsInputSchema)
@bp.response(200, RegistrationQuestionsSchema)
@bp.alt_response(409, description="Answers would lose their meaning: the message says what is kept")
def replace_questions(data: dict[str, Any], event_slug: str) -> dict[str, Any]:
    """Replace the event's registration questions: those with an id are edited, the others
    added, the missing ones removed. Once answered, a question keeps its kind, stays (only
    hidden) and keeps its chosen choices (only hidden)."""
    by = organising()
    questions = actions.replace_registration_questions(by, data)
    return {
        "questions": questions,
        "answered": sorted(answered_question_ids(db.session, by.event)),
    }
