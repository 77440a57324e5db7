"""Organiser page of the participation report: the period and filters, each table of the
API's report, and beside each breakdown an SVG chart whose figures the table also gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, render_template, request
from marshmallow import ValidationError

from services.registration.area import Page, pages_blueprint
from services.registration.organiser.report_files import (
    category_label,
    report_download,
    report_scope,
)
from services.registration.organiser.schemas.reports import ReportArgsSchema, ReportFileArgsSchema
from shared.access import current_organiser
from shared.database import db
from shared.domain.indicators import INDICATORS
from shared.domain.participation_report import participation_report
from shared.errors_http import flatten_field_errors
from shared.labels import KIND_LABELS

bp = pages_blueprint("report_pages", __name__)


@dataclass(frozen=True)
class Bar:
    """One row of a breakdown and its bar, as a share of the longest."""

    label: str
    count: int
    share: float


def bars(counts: dict[str, int], label_of: Any) -> list[Bar]:
    """A breakdown's rows with their bars' lengths (0 to 100)."""
    longest = max(counts.values(), default=0) or 1
    return [Bar(label_of(key), count, 100 * count / longest) for key, count in counts.items()]


@bp.get("/reports")
def participation() -> Page:
    """The report for the chosen period (this year until chosen) and filters."""
    today = date.today()
    given = {"from": f"{today.year}-01-01", "to": f"{today.year}-12-31", **request.args}
    try:
        args = ReportArgsSchema().load(given)
    except ValidationError as invalid:
        errors = flatten_field_errors(invalid.messages)
        return render_template("organiser/reports.html", values=given, errors=errors), 422
    report = participation_report(db.session, report_scope(current_organiser(), args))
    breakdowns = [
        (key, str(INDICATORS[key].label), bars(counts, lambda c, k=key: category_label(k, c)))
        for key, counts in report.indicators.items()
    ]
    return render_template(
        "organiser/reports.html",
        values=given,
        errors={},
        report=report,
        breakdowns=breakdowns,
        file_args={k: v for k, v in given.items() if v},
        kind_labels=KIND_LABELS,
    ), 200


@bp.get("/reports/participation.xlsx")
def participation_file() -> Response | Page:
    """The report's workbook for funders, small counts hidden unless exact is asked."""
    try:
        args = ReportFileArgsSchema().load(request.args)
    except ValidationError as invalid:
        errors = flatten_field_errors(invalid.messages)
        return render_template("organiser/reports.html", values=request.args, errors=errors), 422
    return report_download(current_organiser(), args)
