"""The evaluation form, opened by the personal link in the invitation: it works without
JavaScript, and answering again replaces the earlier answers until the evaluation closes;
it never shows them again."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from services.registration.participant.schemas import answer_field_name, evaluation_form_schema
from shared.database import db, utcnow
from shared.domain.evaluations import (
    check_open,
    closes_at,
    invitation_by_token,
    questionnaire,
    save_answers,
)
from shared.errors_http import flatten_field_errors
from shared.i18n import current_language
from shared.limits import limiter, token_lookup_limit
from shared.models import EvaluationInvitation

bp = Blueprint("evaluation_form", __name__)


@bp.get("/evaluations/<token>")
@limiter.limit(token_lookup_limit)
def evaluation(token: str) -> str:
    """The questionnaire, blank: the answers given before are not shown again, so that the
    link alone does not reveal them; 404 or 410 pages otherwise."""
    return _page(token, _open_invitation(token), values={}, errors={})[0]


@bp.post("/evaluations/<token>")
@limiter.limit(token_lookup_limit)
def answer(token: str) -> Response | tuple[str, int]:
    """Store the answers and come back to the form, thanked; show the form again if invalid."""
    invitation = _open_invitation(token)
    schema = evaluation_form_schema(questionnaire(invitation.registration.event))
    try:
        answers = schema.load(request.form)
    except ValidationError as invalid:
        return _page(token, invitation, request.form, flatten_field_errors(invalid.messages), 422)
    save_answers(db.session, invitation, token, answers)
    target = url_for(".evaluation", token=token, lang=current_language(), saved=1)
    return redirect(target, 303)


def _open_invitation(token: str) -> EvaluationInvitation:
    invitation = invitation_by_token(db.session, token)
    check_open(invitation, utcnow())
    return invitation


def _page(
    token: str,
    invitation: EvaluationInvitation,
    values: Mapping[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
) -> tuple[str, int]:
    registration = invitation.registration
    page = render_template(
        "participant/evaluation.html",
        token=token,
        title=registration.event.localized("title", current_language()),
        group=registration.group,
        questions=questionnaire(registration.event),
        field_name=answer_field_name,
        closes_at=closes_at(registration.group),
        saved=bool(request.args.get("saved")) and not errors,
        values=values,
        errors=errors,
    )
    return page, status
