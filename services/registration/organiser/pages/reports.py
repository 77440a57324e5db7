"""Organiser pages of the participation report: the period and filters, each table of the
API's report, and beside each breakdown an SVG chart whose figures the table also gives; and
the head counts of a drop-in event's held dates, a small form each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from services.registration.area import Page, apply, load_form, pages_blueprint
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.report_files import (
    category_label,
    report_download,
    report_scope,
)
from services.registration.organiser.schemas.reports import (
    HeadcountFormSchema,
    ReportArgsSchema,
    ReportFileArgsSchema,
)
from shared.access import current_event, current_organiser
from shared.database import db, utcnow
from shared.domain.attendance import held_dates
from shared.domain.indicators import INDICATORS
from shared.domain.participation_report import participation_report
from shared.errors import DomainError
from shared.errors_http import flatten_field_errors
from shared.labels import KIND_LABELS
from shared.models import AttendanceRule, Event

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


def headcounts_page(
    event: Event, refusal: DomainError | None = None, refused_date: int | None = None
) -> Page:
    """The held dates of a drop-in event that have begun, newest first, each with its head
    count's form; a refused count shown on its date."""
    now = utcnow()
    dates = sorted(
        (
            session_date
            for group in event.groups
            for session_date in held_dates(group)
            if session_date.starts_at <= now
        ),
        key=lambda session_date: session_date.starts_at,
        reverse=True,
    )
    return render_template(
        "organiser/headcounts.html",
        event=event,
        drop_in=event.attendance_rule is AttendanceRule.NO_REGISTRATION,
        dates=dates,
        refusal=refusal,
        refused_date=refused_date,
        typed=request.form.get("people", ""),
    ), refusal.status if refusal else 200


@bp.get("/events/<event_slug>/headcounts")
def headcounts(event_slug: str) -> Page:
    """How many people came to each held date of a drop-in event."""
    return headcounts_page(current_event())


@bp.post("/events/<event_slug>/dates/<int:date_id>/headcount")
def headcount(event_slug: str, date_id: int) -> Response | Page:
    """Record how many people came to one held date, then return to it."""
    event = current_event()

    def change() -> None:
        people = load_form(HeadcountFormSchema())["people"]
        actions.record_headcount(organising(), date_id, people)

    return apply(
        change,
        done=_("Nombre de personnes enregistré."),
        then=url_for("report_pages.headcounts", event_slug=event.slug) + f"#d{date_id}",
        on_refusal=lambda refusal: headcounts_page(event, refusal, date_id),
    )
