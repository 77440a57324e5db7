"""Spreadsheet downloads, the same for the API and the organiser pages."""

from __future__ import annotations

from flask import Response

from services.registration.organiser.dashboard import event_dashboard
from services.registration.organiser.exports import dashboard_table, roster_table, to_csv, to_xlsx
from services.registration.organiser.roster import build_roster
from services.registration.participant.operations import group_of
from shared.database import db
from shared.models import Event

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def attachment(content: bytes, filename: str) -> Response:
    """A file the browser saves under ``filename``; never cached by proxies."""
    extension = filename.rpartition(".")[2]
    response = Response(content, mimetype=MEDIA_TYPES[extension])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def roster_download(event: Event, group_slug: str, extension: str) -> Response:
    """A group's roster as CSV or XLSX."""
    group = group_of(event, group_slug)
    header, rows = roster_table(build_roster(db.session, event, group))
    filename = f"{event.slug}-{group.slug}.{extension}"
    if extension == "csv":
        return attachment(to_csv(header, rows), filename)
    return attachment(to_xlsx(group.name, header, rows), filename)


def dashboard_csv(event: Event) -> Response:
    """An event's dashboard as CSV."""
    header, rows = dashboard_table(event_dashboard(db.session, event))
    return attachment(to_csv(header, rows), f"{event.slug}-dashboard.csv")
