"""The participation report as a workbook for funders: a sheet per table, each saying the
period and filters it covers. Meant for outside, it shows any count under
:data:`SMALL_COUNT` as "< 5", so that nobody is recognised in a small group, unless an
administrator asks for exact figures (the journal keeps that)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services.registration import audit
from services.registration.attachments import attachment
from services.registration.organiser.exports import Cell, Sheet, to_workbook
from shared.database import db
from shared.domain.indicators import INDICATORS, PREFER_NOT_TO_SAY, PREFER_NOT_TO_SAY_LABEL
from shared.domain.participation_report import (
    NOT_ANSWERED,
    NOT_ASKED,
    ParticipationReport,
    ReportScope,
    participation_report,
)
from shared.errors import Forbidden
from shared.labels import KIND_LABELS
from shared.models import Organiser

SMALL_COUNT = 5
EXACT_FOR_ADMINS = _l("Seule une administratrice ou un administrateur voit les chiffres exacts.")


def report_scope(reader: Organiser, args: dict[str, Any]) -> ReportScope:
    """What a report covers: the period and filters read from the query, within the
    reader's events."""
    chosen = {k: args.get(k) for k in ("start", "end", "town", "kind")}
    return ReportScope.for_reader(reader, **chosen, event_slug=args.get("event"))


def report_download(reader: Organiser, args: dict[str, Any]) -> Response:
    """The report's workbook for the query; exact figures only for an administrator, and
    written in the journal."""
    if args["exact"]:
        if not reader.is_admin:
            raise Forbidden(EXACT_FOR_ADMINS)
        filters = {k: str(v) for k, v in args.items() if k != "exact"}
        audit.record(db.session, reader, "report.exact_export", **filters)
    report = participation_report(db.session, report_scope(reader, args))
    filename = f"participation-{args['start']}-{args['end']}.xlsx"
    return attachment(report_workbook(report, exact=args["exact"]), filename)


def shown_count(count: int, *, exact: bool) -> Cell:
    """A count as an outside reader sees it: "< 5" below the threshold, unless exact."""
    return count if exact or count >= SMALL_COUNT else f"< {SMALL_COUNT}"


def category_label(indicator_key: str, category: str) -> str:
    """A category of an indicator in words, the report's own categories included."""
    own = {
        NOT_ASKED: _("Question non posée"),
        NOT_ANSWERED: _("Sans réponse"),
        PREFER_NOT_TO_SAY: str(PREFER_NOT_TO_SAY_LABEL),
    }
    return own.get(category) or str(INDICATORS[indicator_key].categories[category])


def report_workbook(report: ParticipationReport, *, exact: bool) -> bytes:
    """The report's workbook: the summary, then a sheet per indicator."""
    scope = report.scope
    preamble: list[list[Cell]] = [
        [_("Période"), f"{scope.start.isoformat()} – {scope.end.isoformat()}"],
        [_("Ville"), scope.town or _("toutes")],
        [_("Type"), str(KIND_LABELS[scope.kind]) if scope.kind else _("tous")],
        [_("Événement"), scope.event_slug or _("tous")],
        [
            _("Chiffres"),
            _("exacts") if exact else _("moins de %(num)d montrés « < %(num)d »", num=SMALL_COUNT),
        ],
    ]

    def count(value: int) -> Cell:
        return shown_count(value, exact=exact)

    summary = [
        [_("Événements tenus"), count(report.events_held)],
        [_("Groupes tenus"), count(report.groups_held)],
        [_("Heures prévues"), report.hours_planned],
        [_("Heures données"), report.hours_delivered],
        [_("Inscriptions"), count(report.registrations)],
        [_("Personnes"), count(report.people)],
        [_("Taux de présence"), report.presence_rate],
        [_("Formations complètes"), count(report.completed)],
        [_("Taux de formation complète"), report.completion_rate],
        [_("Personnes venues aux permanences"), count(report.drop_in_people)],
    ]
    sheets = [Sheet(_("Synthèse"), [_("Chiffre"), _("Valeur")], summary, preamble)]
    for key, categories in report.indicators.items():
        rows = [[category_label(key, c), count(n)] for c, n in categories.items()]
        sheets.append(
            Sheet(str(INDICATORS[key].label), [_("Catégorie"), _("Inscriptions")], rows, preamble)
        )
    return to_workbook(sheets)
