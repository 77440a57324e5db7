"""Organiser API: the participation report across events, for funders. Administrators see
every event; an organiser, the events they organise."""

from __future__ import annotations

from typing import Any

from flask import Response

from services.registration.area import api_blueprint
from services.registration.attachments import MEDIA_TYPES
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.report_files import report_download, report_scope
from services.registration.organiser.schemas.reports import (
    HeadcountInputSchema,
    HeadcountSchema,
    ParticipationReportSchema,
    ReportArgsSchema,
    ReportFileArgsSchema,
)
from shared.access import current_organiser
from shared.database import db
from shared.domain.participation_report import (
    ParticipationReport,
    participation_report,
)
from shared.models import SessionDate

bp = api_blueprint("organiser_reports", __name__, "Organisers: reports")


@bp.route("/reports/participation", methods=["GET"])
@bp.arguments(ReportArgsSchema, location="query")
@bp.response(200, ParticipationReportSchema)
def participation(args: dict[str, Any]) -> ParticipationReport:
    """Events and groups held in the period, hours planned and delivered, participants per
    person and per registration, presence, completion and each indicator's categories."""
    return participation_report(db.session, report_scope(current_organiser(), args))


@bp.route("/reports/participation.xlsx", methods=["GET"])
@bp.arguments(ReportFileArgsSchema, location="query")
@bp.response(200, description="One sheet per table", content_type=MEDIA_TYPES["xlsx"])
@bp.alt_response(403, description="Exact figures are for administrators")
def participation_file(args: dict[str, Any]) -> Response:
    """The same report as a workbook for outside readers: counts under 5 read "< 5" unless an
    administrator asks for ``exact`` figures, which the journal records."""
    return report_download(current_organiser(), args)


@bp.route("/events/<event_slug>/dates/<int:date_id>/headcount", methods=["PUT"])
@bp.arguments(HeadcountInputSchema)
@bp.response(200, HeadcountSchema)
@bp.alt_response(409, description="Not a drop-in event, or a date called off or to come")
def headcount(data: dict[str, Any], event_slug: str, date_id: int) -> SessionDate:
    """Record how many people came to a held date of a drop-in event (they do not
    register): the report counts them apart."""
    return actions.record_headcount(organising(), date_id, data["people"])
