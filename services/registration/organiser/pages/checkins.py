"""Organiser pages: check-in at the door for one date, made for a phone held in one hand. The
page's script scans codes, keeps the date's codes and a queue of marks in the browser while
the network is away, and talks to the two JSON addresses below with the login session."""

from __future__ import annotations

from flask import jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from services.registration.area import pages_blueprint
from services.registration.lookups import find_date
from services.registration.organiser import checkins
from services.registration.organiser.actions import organising
from services.registration.organiser.schemas.checkins import (
    CheckinBatchSchema,
    CheckinReportSchema,
    DateCodesSchema,
)
from services.registration.web import PAGE_DIRECTIVES
from shared.access import current_event
from shared.database import db
from shared.domain.checkin import MAX_MARKS
from shared.errors import DomainError, InvalidRequest
from shared.errors_http import flatten_field_errors, json_error_response
from shared.page_security import content_security_policy

bp = pages_blueprint("checkin_pages", __name__)
# Marks the page sends at once: a queue of these stays well within a request's size limit.
BATCH = MAX_MARKS // 5
# The one page whose script talks to the server: to this service only.
CHECKIN_PAGE_POLICY = content_security_policy(*PAGE_DIRECTIVES, "connect-src 'self'")


@bp.get("/events/<event_slug>/dates/<int:date_id>/checkin")
def checkin(event_slug: str, date_id: int) -> tuple[str, int, dict[str, str]]:
    """The check-in page of a date: the camera, a search by name, the marks waiting to be
    sent; why nothing can be recorded when the date is called off or outside its window."""
    try:
        session_date, closed = checkins.open_date(organising(), date_id), None
    except DomainError as reason:  # the page says why, and records nothing
        session_date, closed = find_date(current_event(), date_id), reason
    return (
        render_template(
            "organiser/checkin.html",
            event=current_event(),
            group=session_date.group,
            session_date=session_date,
            closed=closed,
            batch=BATCH,
        ),
        200,
        {"Content-Security-Policy": CHECKIN_PAGE_POLICY},
    )


@bp.get("/events/<event_slug>/dates/<int:date_id>/checkin-codes")
def checkin_codes(event_slug: str, date_id: int) -> Response:
    """The date's code digests and first names, for the page to work offline."""
    response = jsonify(DateCodesSchema().dump(checkins.date_codes(organising(), date_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/events/<event_slug>/dates/<int:date_id>/checkins")
def check_in(event_slug: str, date_id: int) -> Response:
    """Record the marks the page sends (as the API's); refusals in the one JSON error shape."""
    try:
        try:
            data = CheckinBatchSchema().load(request.get_json(silent=True) or {})
        except ValidationError as invalid:
            raise InvalidRequest(errors=flatten_field_errors(invalid.messages)) from invalid
        report = checkins.check_in(organising(), date_id, data["marks"])
    except DomainError as refusal:
        db.session.rollback()
        return json_error_response(
            refusal.status, refusal.message, refusal.errors, refusal.headers, refusal.code
        )
    return jsonify(CheckinReportSchema().dump(report))
