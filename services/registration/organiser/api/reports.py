"""Organiser API: the participation report across events, for funders. Administrators see
every event; an organiser, the events they organise."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import lazy_gettext as _l

from services.registration import audit
from services.registration.area import api_blueprint
from services.registration.attachments import MEDIA_TYPES, attachment
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.report_files import report_workbook
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
    ReportScope,
    participation_report,
)
from shared.errors import Forbidden
from shared.models import SessionDate

EXACT_FOR_ADMINS = _l("Seule une administratrice ou un administrateur voit les chiffres exacts.")
bp = api_blueprint("organiser_reports", __name__, "Organisers: reports")


@bp.route("/reports/participation", methods=["GET"])
@bp.arguments(ReportArgsSchema, location="query")
@bp.response(200, ParticipationReportSchema)
def participation(args: dict[str, Any]) -> ParticipationReport:
    """Events and groups held in the period, hours planned and delivered, participants per
    person and per registration, presence, completion and each indicator's categories."""
    return participation_report(db.session, _scope(args))


@bp.route("/reports/participation.xlsx", methods=["GET"])
@bp.arguments(ReportFileArgsSchema, location="query")
@bp.response(200, description="One sheet per table", content_type=MEDIA_TYPES["xlsx"])
@bp.alt_response(403, description="Exact figures are for administrators")
def participation_file(args: dict[str, Any]) -> Response:
    """The same report as a workbook for outside readers: counts under 5 read "< 5" unless an
    administrator asks for ``exact`` figures, which the journal records."""
    organiser = current_organiser()
    if args["exact"]:
        if not organiser.is_admin:
            raise Forbidden(
                _l("Seule une administratrice ou un administrateur voit les chiffres exacts.")
            )
        filters = {k: str(v) for k, v in args.items() if k != "exact"}
        audit.record(db.session, organiser, "report.exact_export", **filters)
    report = participation_report(db.session, _scope(args))
    filename = f"participation-{args['start']}-{args['end']}.xlsx"
    return attachment(report_workbook(report, exact=args["exact"]), filename)


def _scope(args: dict[str, Any]) -> ReportScope:
    """What the report covers: the query's period and filters, within the reader's events."""
    organiser = current_organiser()
    visible = None if organiser.is_admin else frozenset(e.id for e in organiser.events)
    return ReportScope(
        start=args["start"],
        end=args["end"],
        town=args.get("town"),
        kind=args.get("kind"),
        event_slug=args.get("event"),
        visible_event_ids=visible,
    )


@bp.route("/events/<event_slug>/dates/<int:date_id>/headcount", methods=["PUT"])
@bp.arguments(HeadcountInputSchema)
@bp.response(200, HeadcountSchema)
@bp.alt_response(409, description="Not a drop-in event, or a date called off or to come")
def headcount(data: dict[str, Any], event_slug: str, date_id: int) -> SessionDate:
    """Record how many people came to a held date of a drop-in event (they do not
    register): the report counts them apart."""
    return actions.record_headcount(organising(), date_id, data["people"])
