"""The participation report as a workbook for funders: a sheet per table, each saying the
period and filters it covers. Meant for outside, it shows any count under
:data:`SMALL_COUNT` as "< 5", so that nobody is recognised in a small group, unless an
administrator asks for exact figures (the journal keeps that)."""

from __future__ import annotations

from flask_babel import gettext as _

from services.registration.organiser.exports import Cell, Sheet, to_workbook
from shared.domain.indicators import INDICATORS, PREFER_NOT_TO_SAY, PREFER_NOT_TO_SAY_LABEL
from shared.domain.participation_report import NOT_ANSWERED, NOT_ASKED, ParticipationReport
from shared.labels import KIND_LABELS

SMALL_COUNT = 5


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
