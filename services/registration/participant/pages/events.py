"""The participant pages: upcoming events, an event with its registration form, the
confirmation after registering and, where the event asks for it, confirming from the email."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from services.registration.participant import operations, presenters
from services.registration.participant.schemas import EventQueryArgsSchema, RegistrationFormSchema
from shared.database import db, utcnow
from shared.domain.confirmation import (
    Receipt,
    confirm_from_email,
    registration_by_confirmation,
    was_released,
)
from shared.domain.registrations import check_commitment, registration_by_token
from shared.errors import AlreadyRegistered, InvalidRequest, NotFound, RegistrationClosed
from shared.errors_http import flatten_field_errors
from shared.limits import limiter, registration_limit, token_lookup_limit
from shared.models import Event, EventKind, Group, Registration

bp = Blueprint("event_pages", __name__)

# Refusals the form explains beside its fields; anything else is an error page.
FORM_REFUSALS = (InvalidRequest, AlreadyRegistered, RegistrationClosed, NotFound)


@bp.get("/")
def home() -> str:
    """Upcoming events, filterable by town and kind, with each group's availability."""
    try:
        filters = EventQueryArgsSchema().load({k: v for k, v in request.args.items() if v})
    except ValidationError:
        filters = {}
    every_event = [e for e in operations.list_events(db.session) if presenters.is_upcoming(e)]
    shown = [e for e in operations.list_events(db.session, **filters) if e in every_event]
    towns = sorted({(g.town_slug, g.town) for e in every_event for g in e.groups}, key=_by_name)
    return render_template(
        "participant/home.html",
        events=shown,
        towns=towns,
        kinds=list(EventKind),
        chosen_town=filters.get("town"),
        chosen_kind=filters.get("kind"),
    )


def _by_name(town: tuple[str, str]) -> str:
    return town[1]


@bp.get("/events/<event_slug>")
def event_page(event_slug: str) -> str:
    """An event, its groups and, for a chosen group, the registration form."""
    event = operations.get_event(db.session, event_slug)
    group = _chosen_group(event, request.args.get("group"))
    return render_template(
        "participant/event.html", event=event, group=group, values=MultiDict(), errors={}
    )


@bp.post("/events/<event_slug>")
@limiter.limit(registration_limit)
def register(event_slug: str) -> Response | tuple[str, int]:
    """Register from the form; on success go to the confirmation, else show the form again."""
    event = operations.get_event(db.session, event_slug)
    group = _chosen_group(event, request.form.get("group"))
    try:
        data = RegistrationFormSchema().load(request.form)
    except ValidationError as invalid:
        errors = flatten_field_errors(invalid.messages)
        errors = {**_commitment_errors(event, group, invalid.valid_data or {}), **errors}
        return _form_again(event, group, errors, 422)
    try:
        registration = operations.register_participant(db.session, event_slug, data)
    except FORM_REFUSALS as refused:
        db.session.rollback()
        errors = flatten_field_errors(refused.errors)
        if isinstance(refused, AlreadyRegistered):
            errors = {"email": [str(refused.message)]}
        return _form_again(event, group, errors, refused.status, refused=refused)
    if isinstance(registration, Receipt):
        return redirect(url_for(".check_email", event_slug=event_slug), 303)
    return redirect(url_for(".confirmation", manage_token=registration.manage_token), 303)


@bp.get("/events/<event_slug>/check-email")
def check_email(event_slug: str) -> str:
    """After registering where the event asks for it: confirm from the email within its time.
    Shown alike whatever happened, since an address already registered is told by email."""
    event = operations.get_event(db.session, event_slug)
    return render_template("participant/check_email.html", event=event)


@bp.get("/confirm/<token>")
@limiter.limit(token_lookup_limit)
def confirm_email(token: str) -> tuple[str, int]:
    """The link of the email: a button confirms (a link checker opening it confirms nothing);
    confirmed already, or released once its time ran out, it says so."""
    return _confirmation_page(token, registration_by_confirmation(db.session, token))


@bp.post("/confirm/<token>")
@limiter.limit(token_lookup_limit)
def confirm_email_done(token: str) -> Response:
    """Confirm the registration (again changes nothing), then show where it stands."""
    confirm_from_email(db.session, token, utcnow())
    return redirect(url_for(".confirm_email", token=token), 303)


def _confirmation_page(token: str, registration: Registration) -> tuple[str, int]:
    released = was_released(registration)
    page = render_template(
        "participant/confirm_email.html", token=token, registration=registration, released=released
    )
    return page, 410 if released else 200


@bp.get("/registrations/<manage_token>/confirmation")
@limiter.limit(token_lookup_limit)
def confirmation(manage_token: str) -> str:
    """Confirmed, or waitlisted with the position; the calendar and manage links."""
    registration = registration_by_token(db.session, manage_token)
    return render_template("participant/confirmation.html", registration=registration)


def _chosen_group(event: Event, slug: str | None) -> Group | None:
    """The group the visitor picked; an event with a single group needs no picking."""
    if slug:
        return next((g for g in event.groups if g.slug == slug), None)
    open_groups = [
        g for g in event.groups if presenters.group_status(event, g).accepts_registrations
    ]
    return open_groups[0] if len(event.groups) == 1 and open_groups else None


def _commitment_errors(event: Event, group: Group | None, valid: dict[str, Any]) -> dict[str, Any]:
    """The attendance rule's complaint, shown with the form's other errors at once."""
    if group is None:
        return {}
    try:
        check_commitment(event, group, bool(valid.get("commit_all_dates")), valid.get("date"))
    except InvalidRequest as refused:
        return flatten_field_errors(refused.errors)
    return {}


def _form_again(
    event: Event,
    group: Group | None,
    errors: dict[str, list[str]],
    status: int,
    refused: Exception | None = None,
) -> tuple[str, int]:
    page = render_template(
        "participant/event.html",
        event=event,
        group=group,
        values=request.form,
        errors=errors,
        refusal=refused,
        already_registered=isinstance(refused, AlreadyRegistered),
    )
    return page, status
