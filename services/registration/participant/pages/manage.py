"""A participant's own registration, opened by the link in every email: see it, cancel it,
ask for that link again, or replace it."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from services.registration.attachments import certificate_download
from services.registration.participant import operations
from services.registration.participant.schemas import ManageLinkRequestSchema
from shared.database import db
from shared.domain.organiser_messages import sent_to
from shared.domain.privacy import personal_data
from shared.domain.registrations import registration_by_token
from shared.errors_http import flatten_field_errors
from shared.i18n import format_day
from shared.limits import limiter, registration_limit, token_lookup_limit
from shared.models import AttendanceRule, Event

bp = Blueprint("manage", __name__)


@bp.get("/manage/<manage_token>")
@limiter.limit(token_lookup_limit)
def manage(manage_token: str) -> str:
    """The registration's group, dates, status and calendar feed, and the messages its
    organisers sent; never changes anything."""
    registration = registration_by_token(db.session, manage_token)
    return render_template(
        "participant/manage.html",
        registration=registration,
        organiser_messages=[
            (subject, format_day(sent_at)) for subject, sent_at in sent_to(db.session, registration)
        ],
    )


@bp.get("/manage/<manage_token>/data.json")
@limiter.limit(token_lookup_limit)
def personal_data_download(manage_token: str) -> Response:
    """Everything stored about the person in this registration, as a JSON file."""
    registration = registration_by_token(db.session, manage_token)
    response = jsonify(personal_data(registration))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="atelier-registration-{registration.id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/manage/<manage_token>/certificate.pdf")
@limiter.limit(token_lookup_limit)
def certificate(manage_token: str) -> Response:
    """The participant's certificate of attendance, once they completed the training."""
    return certificate_download(operations.certificate_by_token(db.session, manage_token))


@bp.get("/manage/<manage_token>/cancel")
@limiter.limit(token_lookup_limit)
def confirm_cancellation(manage_token: str) -> str:
    """Ask before cancelling: opening this page cancels nothing."""
    return _registration_page("participant/cancel.html", manage_token)


def _registration_page(template: str, manage_token: str) -> str:
    return render_template(template, registration=registration_by_token(db.session, manage_token))


@bp.post("/manage/<manage_token>/cancel")
@limiter.limit(token_lookup_limit)
def cancel(manage_token: str) -> Response:
    """Cancel the registration (again changes nothing), then show it."""
    operations.cancel_by_token(db.session, manage_token)
    return redirect(url_for(".manage", manage_token=manage_token), 303)


@bp.post("/manage/<manage_token>/replace-links")
@limiter.limit(token_lookup_limit)
def replace_links(manage_token: str) -> Response:
    """Replace the participant's links, one of which someone else may have seen; the new
    manage link is emailed, never shown, since whoever holds the old one could be reading."""
    operations.replace_links(db.session, manage_token)
    return redirect(url_for(".links_replaced"), 303)


@bp.post("/manage/<manage_token>/checkin-code")
@limiter.limit(token_lookup_limit)
def renew_checkin_code(manage_token: str) -> Response:
    """Replace the participant's check-in code, then show the new one; the old one answers
    at the door that it was replaced."""
    operations.renew_checkin_code(db.session, manage_token)
    return redirect(url_for(".manage", manage_token=manage_token, _anchor="checkin-title"), 303)


@bp.get("/links-replaced")
def links_replaced() -> str:
    """Tell the participant that their new link is on its way by email."""
    return render_template("participant/links_replaced.html")


@bp.get("/manage-link")
def manage_link_form() -> str:
    """Ask for the manage link again by email."""
    values = {"event": request.args.get("event", ""), "email": ""}
    return render_template(
        "participant/manage_link.html", events=_events(), values=values, errors={}
    )


@bp.post("/manage-link")
@limiter.limit(registration_limit)
def send_manage_link() -> tuple[str, int] | str:
    """Send the link if the address holds a registration; answer the same either way."""
    try:
        data = ManageLinkRequestSchema().load(request.form)
    except ValidationError as invalid:
        errors = flatten_field_errors(invalid.messages)
        page = render_template(
            "participant/manage_link.html", events=_events(), values=request.form, errors=errors
        )
        return page, 422
    operations.send_manage_link(db.session, data["event"], data["email"])
    return render_template("participant/manage_link_sent.html")


def _events() -> list[Event]:
    return [
        e
        for e in operations.recent_events(db.session)
        if e.attendance_rule is not AttendanceRule.NO_REGISTRATION
    ]
