"""The organiser area's frame, shared by the organisers' and the accounts' API and pages:
blueprints behind the organiser guard (a personal Bearer token for the API, the login session
for pages), reading a form through its schema, answering a refused action with the page and
its messages, redirecting after a change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request
from flask_babel import format_date, format_datetime, format_percent
from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Response

from shared.access import AreaKind, organiser_area
from shared.app import ApiBlueprint
from shared.database import db, transaction_list
from shared.domain.attendance import is_held
from shared.errors import DomainError, InvalidRequest
from shared.errors_http import flatten_field_errors
from shared.i18n import (
    BRUSSELS,
    LANGUAGE_NAMES,
    current_language,
    format_day,
    format_hours,
)
from shared.labels import KIND_LABELS, RULE_LABELS, role_label

LOGIN_ENDPOINT = "login_pages.login"
# Where an administrator who must sign in with a second factor, and has none yet, is sent.
ENROLMENT_ENDPOINT = "account_pages.two_factor_page"
Page = tuple[str, int]
_CONFIRMATIONS = "confirmations"


def api_blueprint(name: str, import_name: str, description: str) -> ApiBlueprint:
    """A blueprint of the organiser API under /api/v1, behind a personal Bearer token."""
    return organiser_area(
        ApiBlueprint(name, import_name, url_prefix="/api/v1", description=description),
        AreaKind.API,
    )


def pages_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of organiser pages under /organiser, behind the login session."""
    bp = Blueprint(name, import_name, url_prefix="/organiser")
    bp.register_error_handler(DomainError, refusal_page)
    bp.context_processor(template_helpers)
    return organiser_area(
        bp, AreaKind.PAGES, login_endpoint=LOGIN_ENDPOINT, enrolment_endpoint=ENROLMENT_ENDPOINT
    )


def template_helpers() -> dict[str, Any]:
    """What every organiser template may use."""
    return {
        "organiser": g.get("organiser"),
        "page_language": current_language(),
        "format_day": format_day,
        "is_held": is_held,
        "format_hours": format_hours,
        "short_day": lambda moment: format_date(moment, "d MMM"),
        "day_and_time": lambda moment: format_datetime(moment, "short"),
        "percent": percent,
        "role_label": role_label,
        "kind_labels": KIND_LABELS,
        "rule_labels": RULE_LABELS,
        "language_names": LANGUAGE_NAMES,
    }


def refusal_page(error: DomainError) -> Page:
    """A refused request to a page that has no form to show it on."""
    db.session.rollback()
    return render_template("area/refusal.html", refusal=error), error.status


def percent(share: float | None) -> str:
    """A share as a percentage in the current language, or a dash when there is none."""
    return "—" if share is None else format_percent(share)


def load_form(schema: Schema, data: Any = None) -> dict[str, Any]:
    """The submitted form (or ``data`` read from it), validated; 422 with translated field
    messages otherwise."""
    try:
        return schema.load(request.form if data is None else data)
    except ValidationError as error:
        raise InvalidRequest(errors=flatten_field_errors(error.messages)) from error


def page_args(schema: Schema) -> dict[str, Any]:
    """A paged page's query (``limit``, ``cursor``): a link edited by hand shows the first
    page rather than an error."""
    try:
        return schema.load(request.args)
    except ValidationError:
        return schema.load({})


def local_input(moment: datetime | None) -> str:
    """A datetime as a datetime-local input shows it, in Brussels time."""
    return "" if moment is None else moment.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M")


def apply(
    change: Callable[[], Any],
    *,
    done: str | Callable[[Any], str],
    then: str | Callable[[Any], str],
    on_refusal: Callable[[DomainError], Page],
) -> Response | Page:
    """Run a change, then go to ``then`` (a URL, or one made from the change's result) with
    ``done`` (or the one made from the result) as the confirmation; a refused change shows
    ``on_refusal``'s page with its status instead, drawn from the data as it was before the
    change."""
    try:
        result = change()
    except DomainError as refusal:
        db.session.rollback()
        return on_refusal(refusal)
    # Confirmed once the request's commit has succeeded: a change that fails to commit is
    # answered with the error page, and must not be announced as done on the next one.
    confirmation = done(result) if callable(done) else done
    transaction_list(db.session, _CONFIRMATIONS, committed=_confirm).append(confirmation)
    return redirect(then(result) if callable(then) else then, code=303)


def _confirm(messages: list[str]) -> None:
    for message in messages:
        flash(message, "success")
