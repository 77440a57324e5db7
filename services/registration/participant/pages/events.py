"""The participant pages: coming events and the archive of past ones, an event with its
registration form, the confirmation after registering and, where the event asks for it,
confirming from the email."""

from __future__ import annotations

from collections.abc import Callable
from datetime import MAXYEAR, MINYEAR
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from services.registration.participant import operations, presenters
from services.registration.participant.schemas import (
    ArchiveArgsSchema,
    RegistrationFormSchema,
    SessionsPageArgsSchema,
    load_answers,
    with_form_answers,
)
from shared.database import db, utcnow
from shared.domain import listing
from shared.domain.confirmation import (
    Receipt,
    confirm_from_email,
    registration_by_confirmation,
    was_released,
)
from shared.domain.registrations import check_commitment, registration_by_token
from shared.errors import AlreadyRegistered, InvalidRequest, NotFound, RegistrationClosed
from shared.errors_http import flatten_field_errors
from shared.labels import KIND_LABELS
from shared.limits import limiter, registration_limit, token_lookup_limit
from shared.models import Event, EventKind, Group, Registration
from shared.paging import next_url

bp = Blueprint("event_pages", __name__)

# Events on a screen of the sessions page or the archive, before a link to the next screen.
FIRST_SCREEN = 20
# The months the sessions page offers to filter by, from the current one.
MONTHS_OFFERED = 6

# Refusals the form explains beside its fields; anything else is an error page.
FORM_REFUSALS = (InvalidRequest, AlreadyRegistered, RegistrationClosed, NotFound)


@bp.get("/")
def home() -> str:
    """Coming and ongoing events, soonest first, a screen at a time, filtered by town, kind
    and month through plain links; the archive is a link away."""
    args = _valid_args(SessionsPageArgsSchema())
    month = args.get("month")
    starts_from, starts_before = listing.month_bounds(month) if month else (None, None)
    filters = listing.Filters(args.get("town"), args.get("kind"), starts_from, starts_before)
    now = utcnow()
    page = operations.events_page(
        db.session, filters, limit=FIRST_SCREEN, cursor=args.get("cursor"), now=now
    )
    chosen = {name: request.args.get(name) for name in ("town", "kind", "month") if name in args}
    return render_template(
        "participant/home.html",
        events=page.items,
        more=next_url(page),
        again=url_for(".home", **chosen) if "cursor" in args else None,
        towns=listing.coming_towns(db.session, now),
        kinds=[(kind.value, KIND_LABELS[kind]) for kind in EventKind],
        months=presenters.coming_months(now, MONTHS_OFFERED),
        chosen=chosen,
        filter_url=_filter_url(chosen),
    )


@bp.get("/archive", defaults={"year": None})
@bp.get("/archive/<int:year>")
def archive(year: int | None) -> str:
    """Past events by the year they ended, latest first, a screen at a time."""
    args = _valid_args(ArchiveArgsSchema())
    now = utcnow()
    if year is not None and not MINYEAR < year < MAXYEAR:
        raise NotFound()
    years = listing.archive_years(db.session, now)
    shown = year if year is not None else next(iter(years), now.year)
    page = operations.archive_page(
        db.session, shown, limit=FIRST_SCREEN, cursor=args.get("cursor"), now=now
    )
    return render_template(
        "participant/archive.html",
        events=page.items,
        more=next_url(page, year=shown),
        years=years,
        year=shown,
    )


def _valid_args(schema: Schema) -> dict[str, Any]:
    """The query's valid arguments: a link edited by hand loses what it broke, not the page."""
    given = {name: value for name, value in request.args.items() if value}
    try:
        return schema.load(given)
    except ValidationError as invalid:
        kept = {name: value for name, value in given.items() if name not in invalid.messages}
    try:
        return schema.load(kept)
    except ValidationError:
        return {}


def _filter_url(chosen: dict[str, str]) -> Callable[..., str]:
    def link(**change: str | None) -> str:
        """The first screen with one filter changed (None drops it), the others kept."""
        arguments = {name: value for name, value in {**chosen, **change}.items() if value}
        return url_for(".home", **arguments)

    return link


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
        errors = {
            **_commitment_errors(event, group, invalid.valid_data or {}),
            **_answer_errors(event),
            **errors,
        }
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


def _answer_errors(event: Event) -> dict[str, Any]:
    """The answers' complaints, shown with the form's other errors at once."""
    try:
        given = with_form_answers({}, request.form)
        load_answers(event, given["answers"], given["consented_answers"])
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
