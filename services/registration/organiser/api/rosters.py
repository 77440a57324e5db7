"""Organiser API: a group's roster, presence per date, roster actions, exports and the
event's dashboard. Every route needs a personal Bearer token of one of the event's organisers."""

from __future__ import annotations

from typing import Any

from flask import Response

from services.registration.area import api_blueprint
from services.registration.lookups import group_of
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.dashboard import Dashboard, event_dashboard
from services.registration.organiser.downloads import (
    attendance_sheet_pdf,
    certificates_zip,
    dashboard_csv,
    roster_download,
)
from services.registration.organiser.roster_lines import Roster, build_roster
from services.registration.organiser.schemas.events import OrganiserGroupSchema
from services.registration.organiser.schemas.rosters import (
    AttendanceInputSchema,
    AttendanceSchema,
    CapacityInputSchema,
    DashboardSchema,
    IssuedCertificateSchema,
    MoveInputSchema,
    ParticipantSchema,
    RosterArgsSchema,
    WalkInInputSchema,
)
from services.registration.organiser.schemas.rosters import RosterSchema as RosterOutSchema
from shared.access import current_event
from shared.database import db
from shared.models import Attendance, Certificate, Group, Registration
from shared.paging import PAGE_HEADERS, Page, page_headers

bp = api_blueprint(
    "organiser_rosters",
    __name__,
    "Organisers: rosters, presence, waiting lists, exports and dashboards",
)


@bp.route("/events/<event_slug>/groups/<group_slug>/roster", methods=["GET"])
@bp.arguments(RosterArgsSchema, location="query")
@bp.response(200, RosterOutSchema, headers=PAGE_HEADERS)
def roster(
    args: dict[str, Any], event_slug: str, group_slug: str
) -> tuple[Roster, int, dict[str, str]]:
    """Confirmed participants with presence and completion, a page at a time by name (the
    next page is the ``Link`` header's rel="next" and the ``next`` field), the waiting list,
    the counts of the whole group."""
    event = current_event()
    roster = build_roster(db.session, event, group_of(event, group_slug), **args)
    return roster, 200, page_headers(Page(roster.confirmed, roster.next))


@bp.route(
    "/events/<event_slug>/groups/<group_slug>/roster.<any(csv, xlsx):extension>", methods=["GET"]
)
@bp.response(200, description="The roster as a spreadsheet")
def roster_file(event_slug: str, group_slug: str, extension: str) -> Response:
    """The roster as CSV or XLSX, with presence per date and completion."""
    return roster_download(current_event(), group_slug, extension)


@bp.route("/events/<event_slug>/groups/<group_slug>/participants", methods=["POST"])
@bp.arguments(WalkInInputSchema)
@bp.response(201, ParticipantSchema)
@bp.alt_response(
    409,
    description="No place left (unless over_capacity), the group was called off, or the "
    "address already holds a registration for the event",
)
def add_participant(data: dict[str, Any], event_slug: str, group_slug: str) -> Registration:
    """Add someone who signed the paper form, confirmed, also once the group has started."""
    return actions.add_participant_by_hand(organising(), group_slug, data)


@bp.route("/events/<event_slug>/groups/<group_slug>/close", methods=["POST"])
@bp.response(200, OrganiserGroupSchema)
@bp.alt_response(409, description="The group's last date is not over yet")
def close(event_slug: str, group_slug: str) -> Group:
    """Close the group after its last date: those who completed it are sent their certificate
    by email, those present at least once an invitation to evaluate it; closing again sends
    nothing."""
    return actions.close_group(organising(), group_slug).group


@bp.route("/events/<event_slug>/groups/<group_slug>/attendance-sheet.pdf", methods=["GET"])
@bp.response(200, description="The attendance sheet", content_type="application/pdf")
def attendance_sheet(event_slug: str, group_slug: str) -> Response:
    """The group's attendance sheet for funders: a row per participant, a column per held date
    with the presence recorded and room to sign, the totals per date."""
    return attendance_sheet_pdf(current_event(), group_slug)


@bp.route("/events/<event_slug>/groups/<group_slug>/certificates.zip", methods=["GET"])
@bp.response(200, description="The certificates, one PDF each", content_type="application/zip")
def certificates(event_slug: str, group_slug: str) -> Response:
    """The certificates of everyone in the group who completed the training, in one ZIP
    (empty while nobody has)."""
    return certificates_zip(current_event(), group_slug)


@bp.route("/events/<event_slug>/registrations/<int:registration_id>/attendance", methods=["PUT"])
@bp.arguments(AttendanceInputSchema)
@bp.response(200, AttendanceSchema)
@bp.alt_response(403, description="Not an organiser of the event, or past the date's window")
@bp.alt_response(409, description="The date was called off")
def attendance(data: dict[str, Any], event_slug: str, registration_id: int) -> Attendance:
    """Mark a confirmed participant present or absent on one date, from the date's own day;
    more than 30 days after it, only an administrator may."""
    return actions.mark_attendance(organising(), registration_id, data["date"], data["present"])


@bp.route("/events/<event_slug>/registrations/<int:registration_id>/cancel", methods=["POST"])
@bp.response(200, ParticipantSchema)
@bp.alt_response(422, description="Already cancelled")
def cancel(event_slug: str, registration_id: int) -> Registration:
    """Cancel a registration; the first on the waiting list takes the place."""
    return actions.cancel_registration(organising(), registration_id)


@bp.route("/events/<event_slug>/registrations/<int:registration_id>/erase", methods=["POST"])
@bp.response(200, ParticipantSchema)
@bp.alt_response(422, description="Already erased")
def erase(event_slug: str, registration_id: int) -> Registration:
    """Erase a participant on request (GDPR): the place is freed and the details replaced."""
    return actions.erase_registration(organising(), registration_id)


@bp.route("/events/<event_slug>/registrations/<int:registration_id>/promote", methods=["POST"])
@bp.response(200, ParticipantSchema)
@bp.alt_response(422, description="Not on the waiting list")
def promote(event_slug: str, registration_id: int) -> Registration:
    """Confirm someone from the waiting list; a full group gains a place for them."""
    return actions.promote_registration(organising(), registration_id)


@bp.route(
    "/events/<event_slug>/registrations/<int:registration_id>/certificate/revoke",
    methods=["POST"],
)
@bp.response(200, IssuedCertificateSchema)
def revoke_certificate(event_slug: str, registration_id: int) -> Certificate:
    """Withdraw the participant's certificate of attendance; again changes nothing."""
    return actions.revoke_certificate(organising(), registration_id)


@bp.route("/events/<event_slug>/registrations/<int:registration_id>/move", methods=["POST"])
@bp.arguments(MoveInputSchema)
@bp.response(200, ParticipantSchema)
@bp.alt_response(409, description="No place left in the target group")
def move(data: dict[str, Any], event_slug: str, registration_id: int) -> Registration:
    """Move a participant to another group of the event that has a free place."""
    return actions.move_registration(organising(), registration_id, data)


@bp.route("/events/<event_slug>/groups/<group_slug>/capacity", methods=["PUT"])
@bp.arguments(CapacityInputSchema)
@bp.response(200, OrganiserGroupSchema)
@bp.alt_response(409, description="Fewer places than confirmed participants")
def capacity(data: dict[str, Any], event_slug: str, group_slug: str) -> Group:
    """Change the number of places; raising it promotes from the waiting list."""
    return actions.set_capacity(organising(), group_slug, data["capacity"])


@bp.route("/events/<event_slug>/dashboard", methods=["GET"])
@bp.response(200, DashboardSchema)
def dashboard(event_slug: str) -> Dashboard:
    """Per group and town: registrations, places, waiting list, presence and completion."""
    return event_dashboard(db.session, current_event())


@bp.route("/events/<event_slug>/dashboard.csv", methods=["GET"])
@bp.response(200, description="The dashboard as CSV")
def dashboard_file(event_slug: str) -> Response:
    """The dashboard's figures as CSV, one row per group and date."""
    return dashboard_csv(current_event())
