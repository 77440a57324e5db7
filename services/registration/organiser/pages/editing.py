"""Organiser pages to create and edit events, groups, venues and dates, and to cancel a date
or a group. A refused form comes back filled in, with each field's message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from services.registration.area import (
    Page,
    apply,
    load_form,
    local_input,
    pages_blueprint,
)
from services.registration.lookups import find_date, group_of
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.pages.rosters import event_page
from services.registration.organiser.schemas.base import TEXT_LANGUAGE_FIELDS
from services.registration.organiser.schemas.copying import CopyInputSchema
from services.registration.organiser.schemas.events import (
    NO_CONFIRMATION,
    DateChangeSchema,
    EventInputSchema,
    EventUpdateSchema,
    GroupInputSchema,
    GroupUpdateSchema,
    ShiftInputSchema,
)
from services.registration.organiser.schemas.series import SeriesInputSchema
from shared.access import current_event, current_organiser
from shared.database import db
from shared.domain.schedule import VENUE_FIELDS
from shared.errors import DomainError
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES
from shared.models import AttendanceRule, Event, EventKind, Group, SessionDate

bp = pages_blueprint("editing_pages", __name__)


def form_page(
    template: str, values: Any, refusal: DomainError | None = None, **context: Any
) -> Page:
    """A form filled with ``values``, and a refusal's messages next to its fields."""
    return render_template(
        template,
        values=values,
        refusal=refusal,
        errors=refusal.errors if refusal else {},
        kinds=list(EventKind),
        rules=list(AttendanceRule),
        languages=LANGUAGES,
        **context,
    ), refusal.status if refusal else 200


def submit(
    schema: Schema,
    change: Callable[[dict[str, Any]], Any],
    *,
    done: str,
    then: Callable[[Any], str],
    template: str,
    **context: Any,
) -> Response | Page:
    """Validate the posted form with ``schema`` and apply ``change`` to its data; a refusal
    shows the form again as it was submitted."""
    return apply(
        lambda: change(load_form(schema)),
        done=done,
        then=then,
        on_refusal=lambda refusal: form_page(template, request.form, refusal, **context),
    )


def event_values(event: Event) -> MultiDict[str, str]:
    """An event's fields as the form shows them."""
    values = MultiDict(
        {
            "slug": event.slug,
            "kind": event.kind.value,
            "attendance_rule": event.attendance_rule.value,
            "language": event.language,
            "organiser_contact": event.organiser_contact,
            "price": str(event.price),
            "confirmation_hours": str(event.confirmation_hours or NO_CONFIRMATION),
            "issuer": event.issuer,
            "signatory_name": event.signatory_name,
            "registration_opens_at": local_input(event.registration_opens_at),
            "registration_closes_at": local_input(event.registration_closes_at),
        }
    )
    for field in TEXT_LANGUAGE_FIELDS:
        for language, text in (getattr(event, field) or {}).items():
            values[f"{field}_{language}"] = text
    return values


def _event_page(event: Event) -> str:
    return url_for("roster_pages.event", event_slug=event.slug)


def _group_page(group: Group) -> str:
    return url_for("editing_pages.edit_group", event_slug=group.event.slug, group_slug=group.slug)


@bp.route("/events/new", methods=["GET", "POST"])
def new_event() -> Response | Page:
    """Create an event."""
    template = "organiser/event_form.html"
    if request.method == "GET":
        defaults = {"language": DEFAULT_LANGUAGE, "price": "0"}
        return form_page(template, MultiDict({**defaults, "confirmation_hours": NO_CONFIRMATION}))
    return submit(
        EventInputSchema(),
        lambda data: actions.create_event(db.session, current_organiser(), data),
        done=_("Événement créé."),
        then=_event_page,
        template=template,
    )


@bp.route("/events/<event_slug>/edit", methods=["GET", "POST"])
def edit_event(event_slug: str) -> Response | Page:
    """Edit an event's texts, kind, language and registration window."""
    event = current_event()
    template = "organiser/event_form.html"
    if request.method == "GET":
        return form_page(template, event_values(event), event=event)
    return submit(
        EventUpdateSchema(),
        lambda data: actions.update_event(organising(), data),
        done=_("Événement modifié."),
        then=_event_page,
        template=template,
        event=event,
    )


@bp.post("/events/<event_slug>/copy")
def copy_event(event_slug: str) -> Response | Page:
    """Preview, then make, a draft copy of the event with its dates moved."""
    event = current_event()
    form = request.form.to_dict()

    def change() -> dict[str, Any]:
        return actions.copy_event(organising(), load_form(CopyInputSchema(), form))

    if "preview" in request.form:
        return apply_preview(
            change,
            lambda result: event_page(event, copy_form=form, copy_preview=result),
            lambda refusal: event_page(event, refusal, copy_form=form),
        )
    return apply(
        change,
        done=_("Copie créée comme brouillon."),
        then=lambda result: url_for("roster_pages.event", event_slug=result["slug"]),
        on_refusal=lambda refusal: event_page(event, refusal, copy_form=form),
    )


@bp.post("/events/<event_slug>/publish")
def publish_event(event_slug: str) -> Response | Page:
    """Publish a draft event: anyone may see and register for it from now on."""
    event = current_event()
    return apply(
        lambda: actions.publish_event(organising()),
        done=_("Événement publié."),
        then=_event_page,
        on_refusal=lambda refusal: form_page(
            "organiser/event_form.html", event_values(event), refusal, event=event
        ),
    )


@bp.route("/events/<event_slug>/groups/new", methods=["GET", "POST"])
def new_group(event_slug: str) -> Response | Page:
    """Add a group (a venue, its places and first dates) to the event."""
    event = current_event()
    template = "organiser/group_form.html"
    if request.method == "GET":
        return form_page(template, MultiDict({"capacity": "20"}), event=event)
    return submit(
        GroupInputSchema(exclude=("dates",)),
        lambda data: actions.create_group(organising(), data),
        done=_("Groupe créé."),
        then=_group_page,
        template=template,
        event=event,
    )


def group_values(group: Group) -> MultiDict[str, Any]:
    """A group's fields as the form shows them."""
    values = {"name": group.name, "position": group.position}
    values.update({field: getattr(group, field) for field in VENUE_FIELDS})
    return MultiDict({k: "" if v is None else v for k, v in values.items()})


@bp.route("/events/<event_slug>/groups/<group_slug>/edit", methods=["GET", "POST"])
def edit_group(event_slug: str, group_slug: str) -> Response | Page:
    """Rename a group or change its venue; manage its dates."""
    event = current_event()
    group = group_of(event, group_slug)
    template = "organiser/group_form.html"
    if request.method == "GET":
        return form_page(template, group_values(group), event=event, group=group)
    return submit(
        GroupUpdateSchema(partial=("latitude", "longitude")),
        lambda data: actions.update_group(organising(), group, data),
        done=_("Groupe modifié ; les participants sont prévenus de tout changement de lieu."),
        then=_group_page,
        template=template,
        event=event,
        group=group,
    )


@bp.post("/events/<event_slug>/groups/<group_slug>/series")
def add_series(event_slug: str, group_slug: str) -> Response | Page:
    """Preview, then add, a group's recurring dates from a weekly rule."""
    event = current_event()
    group = group_of(event, group_slug)
    template = "organiser/group_form.html"
    form = {**request.form.to_dict(), "weekdays": request.form.getlist("weekdays")}
    values = group_values(group)

    def change() -> dict[str, Any]:
        return actions.add_series(organising(), group, load_form(SeriesInputSchema(), form))

    if "preview" in request.form:
        return apply_preview(
            change,
            lambda result: form_page(
                template, values, event=event, group=group, series=form, preview=result
            ),
            lambda refusal: form_page(
                template, values, refusal, event=event, group=group, series=form
            ),
        )
    return apply(
        change,
        done=_("Dates ajoutées ; les participants sont prévenus."),
        then=_group_page(group),
        on_refusal=lambda refusal: form_page(
            template, values, refusal, event=event, group=group, series=form
        ),
    )


def apply_preview(
    preview: Callable[[], Any],
    shown: Callable[[Any], Page],
    refused: Callable[[DomainError], Page],
) -> Page:
    """Show what a change would do, writing nothing."""
    try:
        return shown(preview())
    except DomainError as refusal:
        db.session.rollback()
        return refused(refusal)


@bp.post("/events/<event_slug>/groups/<group_slug>/shift")
def shift_group(event_slug: str, group_slug: str) -> Response | Page:
    """Move every held date of a group by whole days; each participant gets one email."""
    event = current_event()
    group = group_of(event, group_slug)
    return submit(
        ShiftInputSchema(),
        lambda data: actions.shift_groups(organising(), [group], data["days"], force=data["force"]),
        done=_("Dates décalées ; les participants sont prévenus."),
        then=lambda _groups: _group_page(group),
        template="organiser/group_form.html",
        event=event,
        group=group,
    )


@bp.post("/events/<event_slug>/groups/<group_slug>/cancel")
def cancel_group(event_slug: str, group_slug: str) -> Response | Page:
    """Call off a group; its participants are told."""
    event = current_event()
    group = group_of(event, group_slug)
    return apply(
        lambda: actions.cancel_group(organising(), group),
        done=_("Groupe annulé ; les participants sont prévenus."),
        then=_group_page(group),
        on_refusal=lambda refusal: form_page(
            "organiser/group_form.html", group_values(group), refusal, event=event, group=group
        ),
    )


@bp.post("/events/<event_slug>/groups/<group_slug>/dates")
def add_date(event_slug: str, group_slug: str) -> Response | Page:
    """Add a date to a group."""
    event = current_event()
    group = group_of(event, group_slug)
    return submit(
        DateChangeSchema(),
        lambda data: actions.add_date(
            organising(), group, data["start"], data["end"], force=data["force"]
        ),
        done=_("Date ajoutée ; les participants sont prévenus."),
        then=lambda _date: _group_page(group),
        template="organiser/group_form.html",
        event=event,
        group=group,
    )


def date_values(session_date: SessionDate) -> MultiDict[str, str]:
    """A date's times as the form shows them."""
    return MultiDict(
        {"start": local_input(session_date.starts_at), "end": local_input(session_date.ends_at)}
    )


@bp.route("/events/<event_slug>/dates/<int:date_id>/edit", methods=["GET", "POST"])
def edit_date(event_slug: str, date_id: int) -> Response | Page:
    """Change a date's times; participants and calendars follow."""
    event = current_event()
    session_date = find_date(event, date_id)
    template = "organiser/date_form.html"
    if request.method == "GET":
        return form_page(template, date_values(session_date), event=event, date=session_date)
    return submit(
        DateChangeSchema(),
        lambda data: actions.reschedule_date(
            organising(), date_id, data["start"], data["end"], force=data["force"]
        ),
        done=_("Date modifiée ; les participants sont prévenus."),
        then=lambda changed: _group_page(changed.group),
        template=template,
        event=event,
        date=session_date,
    )


@bp.post("/events/<event_slug>/dates/<int:date_id>/delete")
def delete_date(event_slug: str, date_id: int) -> Response | Page:
    """Delete a date typed by mistake, while nobody may have been told of it."""
    event = current_event()
    session_date = find_date(event, date_id)
    return apply(
        lambda: actions.delete_mistaken_date(organising(), date_id),
        done=_("Date supprimée."),
        then=_group_page,
        on_refusal=lambda refusal: form_page(
            "organiser/date_form.html",
            date_values(session_date),
            refusal,
            event=event,
            date=session_date,
        ),
    )


@bp.post("/events/<event_slug>/dates/<int:date_id>/cancel")
def cancel_date(event_slug: str, date_id: int) -> Response | Page:
    """Call off one date; participants are told."""
    event = current_event()
    session_date = find_date(event, date_id)
    return apply(
        lambda: actions.cancel_date(organising(), date_id),
        done=_("Date annulée ; les participants sont prévenus."),
        then=_group_page(session_date.group),
        on_refusal=lambda refusal: form_page(
            "organiser/date_form.html",
            date_values(session_date),
            refusal,
            event=event,
            date=session_date,
        ),
    )
