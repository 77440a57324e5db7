"""Organiser API: create and edit events, groups, venues and dates; cancel dates and groups;
read the event's journal, and administrators the whole journal. Changes to a date's time or a
group's venue reach participants and calendars."""

from __future__ import annotations

from typing import Any

from services.registration import audit
from services.registration.area import api_blueprint
from services.registration.lookups import group_of
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.schemas.copying import CopyInputSchema, CopyResultSchema
from services.registration.organiser.schemas.events import (
    DateChangeSchema,
    EventInputSchema,
    EventUpdateSchema,
    GroupInputSchema,
    GroupUpdateSchema,
    OrganiserDateSchema,
    OrganiserEventsArgsSchema,
    OrganiserEventSchema,
    OrganiserEventSummarySchema,
    OrganiserGroupSchema,
    ShiftInputSchema,
)
from services.registration.organiser.schemas.journal import JournalQuerySchema, JournalSchema
from services.registration.organiser.schemas.series import SeriesInputSchema, SeriesResultSchema
from shared.access import admin_only, current_event, current_organiser
from shared.database import db
from shared.models import Event, Group, SessionDate
from shared.paging import PAGE_HEADERS, paged

bp = api_blueprint(
    "organiser_events", __name__, "Organisers: events, groups, venues, dates and journal"
)


@bp.route("/organiser/events", methods=["GET"])
@bp.arguments(OrganiserEventsArgsSchema, location="query")
@bp.response(200, OrganiserEventSummarySchema(many=True), headers=PAGE_HEADERS)
def my_events(args: dict[str, Any]) -> tuple[list[Event], int, dict[str, str]]:
    """The events this organiser runs (every event for an admin), newest first, a page at a
    time: the next page is the ``Link`` header's rel="next"."""
    return paged(actions.my_events(db.session, current_organiser(), **args))


@bp.route("/events", methods=["POST"])
@bp.arguments(EventInputSchema)
@bp.response(201, OrganiserEventSchema)
def create_event(data: dict[str, Any]) -> Event:
    """Create an event; its creator becomes one of its organisers."""
    return actions.create_event(db.session, current_organiser(), data)


@bp.route("/events/<event_slug>", methods=["PATCH"])
@bp.arguments(EventUpdateSchema(partial=True))
@bp.response(200, OrganiserEventSchema)
def update_event(data: dict[str, Any], event_slug: str) -> Event:
    """Edit an event's texts, kind, language or registration window."""
    return actions.update_event(organising(), data)


@bp.route("/events/<event_slug>/copy", methods=["POST"])
@bp.arguments(CopyInputSchema)
@bp.response(200, CopyResultSchema)
def copy_event(data: dict[str, Any], event_slug: str) -> dict[str, Any]:
    """Copy the event to a new slug, as a draft: texts, groups, venues, rooms, trainers,
    questionnaire, registration questions and signatory, every held date moved by whole
    ``weeks`` or so that the first falls on ``first_day``; never registrations, presence,
    certificates or journal. With ``preview``, nothing is written. 422 on ``slug`` if
    taken; 409 schedule_conflict if a copied date clashes, unless forced."""
    return actions.copy_event(organising(), data)


@bp.route("/events/<event_slug>/publish", methods=["POST"])
@bp.response(200, OrganiserEventSchema)
def publish_event(event_slug: str) -> Event:
    """Publish a draft: its pages, API answers and feeds become public; journaled."""
    return actions.publish_event(organising())


@bp.route("/events/<event_slug>/groups", methods=["POST"])
@bp.arguments(GroupInputSchema)
@bp.response(201, OrganiserGroupSchema)
def create_group(data: dict[str, Any], event_slug: str) -> Group:
    """Add a group, with its venue and dates, to the event."""
    return actions.create_group(organising(), data)


@bp.route("/events/<event_slug>/groups/<group_slug>", methods=["PATCH"])
@bp.arguments(GroupUpdateSchema(partial=True))
@bp.response(200, OrganiserGroupSchema)
def update_group(data: dict[str, Any], event_slug: str, group_slug: str) -> Group:
    """Rename a group or change its venue; a new venue is sent to its participants."""
    event = current_event()
    return actions.update_group(organising(), group_of(event, group_slug), data)


@bp.route("/events/<event_slug>/groups/<group_slug>/cancel", methods=["POST"])
@bp.response(200, OrganiserGroupSchema)
def cancel_group(event_slug: str, group_slug: str) -> Group:
    """Call off a group; its participants are told."""
    event = current_event()
    return actions.cancel_group(organising(), group_of(event, group_slug))


@bp.route("/events/<event_slug>/groups/<group_slug>/dates", methods=["POST"])
@bp.arguments(DateChangeSchema)
@bp.response(201, OrganiserDateSchema)
def add_date(data: dict[str, Any], event_slug: str, group_slug: str) -> SessionDate:
    """Add a date to a group; 409 schedule_conflict listing every clash, unless forced."""
    group = group_of(current_event(), group_slug)
    return actions.add_date(organising(), group, data["start"], data["end"], force=data["force"])


@bp.route("/events/<event_slug>/groups/<group_slug>/series", methods=["POST"])
@bp.arguments(SeriesInputSchema)
@bp.response(200, SeriesResultSchema)
def add_series(data: dict[str, Any], event_slug: str, group_slug: str) -> dict[str, Any]:
    """Add recurring dates from a weekly rule (at most 200), Belgian public holidays skipped
    and listed; with ``preview``, the dates and their clashes before anything is written."""
    group = group_of(current_event(), group_slug)
    return actions.add_series(organising(), group, data)


@bp.route("/events/<event_slug>/dates/<int:date_id>", methods=["PATCH"])
@bp.arguments(DateChangeSchema)
@bp.response(200, OrganiserDateSchema)
def reschedule_date(data: dict[str, Any], event_slug: str, date_id: int) -> SessionDate:
    """Change a date's times; participants and calendars follow. 409 schedule_conflict
    listing every clash, unless forced."""
    return actions.reschedule_date(
        organising(), date_id, data["start"], data["end"], force=data["force"]
    )


@bp.route("/events/<event_slug>/groups/<group_slug>/shift", methods=["POST"])
@bp.arguments(ShiftInputSchema)
@bp.response(200, OrganiserGroupSchema)
def shift_group(data: dict[str, Any], event_slug: str, group_slug: str) -> Group:
    """Move every held date of a group by whole days, at the same hours; each participant
    gets one email; 409 schedule_conflict if any moved date clashes, unless forced."""
    group = group_of(current_event(), group_slug)
    return actions.shift_groups(organising(), [group], data["days"], force=data["force"])[0]


@bp.route("/events/<event_slug>/shift", methods=["POST"])
@bp.arguments(ShiftInputSchema)
@bp.response(200, OrganiserEventSchema)
def shift_event(data: dict[str, Any], event_slug: str) -> Event:
    """Move every held date of every group of the event by whole days, at the same hours;
    each participant gets one email; 409 schedule_conflict if any moved date clashes with
    another event's, unless forced."""
    event = current_event()
    actions.shift_groups(organising(), list(event.groups), data["days"], force=data["force"])
    return event


@bp.route("/events/<event_slug>/dates/<int:date_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(409, description="Someone may have been told of the date: call it off")
def delete_date(event_slug: str, date_id: int) -> None:
    """Delete a date typed by mistake, while nobody may have been told of it (no one
    registered and no email since it was added); else 409 date_announced: call it off."""
    actions.delete_mistaken_date(organising(), date_id)


@bp.route("/events/<event_slug>/dates/<int:date_id>/cancel", methods=["POST"])
@bp.response(200, OrganiserDateSchema)
def cancel_date(event_slug: str, date_id: int) -> SessionDate:
    """Call off one date; participants are told."""
    return actions.cancel_date(organising(), date_id)


@bp.route("/events/<event_slug>/log", methods=["GET"])
@bp.arguments(JournalQuerySchema, location="query")
@bp.response(200, JournalSchema)
def journal(args: dict[str, Any], event_slug: str) -> audit.Journal:
    """The event's journal, newest first: who changed what in it, and when."""
    return audit.journal(db.session, current_event(), **args)


@bp.route("/organisers/log", methods=["GET"])
@bp.arguments(JournalQuerySchema, location="query")
@bp.response(200, JournalSchema)
@admin_only
def whole_journal(args: dict[str, Any]) -> audit.Journal:
    """Every entry of the journal, newest first: accounts, tokens, second factors, invitations
    and every event's changes (administrators only)."""
    return audit.journal(db.session, **args)
