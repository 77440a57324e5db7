"""Downloads for funders' files, the same for the API and the organiser pages: spreadsheets,
a group's attendance sheet as a PDF and its certificates in one ZIP."""

from __future__ import annotations

import io
import re
import zipfile

from flask import Response, render_template
from flask_babel import force_locale

from services.registration.attachments import attachment
from services.registration.lookups import group_of
from services.registration.organiser.dashboard import event_dashboard
from services.registration.organiser.evaluation_figures import evaluation_figures
from services.registration.organiser.exports import (
    dashboard_table,
    evaluation_table,
    roster_table,
    to_csv,
    to_xlsx,
)
from services.registration.organiser.roster_lines import build_roster
from shared.database import db
from shared.documents import certificate_pdf, pdf_from_html
from shared.domain.certificates import issue_to_all
from shared.models import Event

UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+|\.\.')


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


def evaluation_csv(event: Event) -> Response:
    """An event's evaluation figures as CSV: no row names anyone."""
    header, rows = evaluation_table(evaluation_figures(db.session, event))
    return attachment(to_csv(header, rows), f"{event.slug}-evaluation.csv")


def attendance_sheet_pdf(event: Event, group_slug: str) -> Response:
    """A group's attendance sheet for the funder's file, in the event's language: one row per
    participant, one column per held date with the presence recorded and room to sign."""
    group = group_of(event, group_slug)
    roster = build_roster(db.session, event, group)
    with force_locale(event.language):
        html = render_template("documents/attendance_sheet.html", roster=roster)
    return attachment(pdf_from_html(html), f"{event.slug}-{group.slug}-presences.pdf")


def certificates_zip(event: Event, group_slug: str) -> Response:
    """The certificates of every participant of the group who completed the training, each
    in its holder's language, in one ZIP (empty while nobody has)."""
    group = group_of(event, group_slug)
    confirmed = [line.registration for line in build_roster(db.session, event, group).confirmed]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as files:
        for number, certificate in enumerate(issue_to_all(db.session, confirmed), start=1):
            holder = certificate.registration
            # A name may hold a slash or "..": in a file name it would make a folder.
            name = UNSAFE_IN_FILE_NAMES.sub("_", f"{holder.last_name}-{holder.first_name}")
            files.writestr(f"{number:02d}-{name}.pdf", certificate_pdf(certificate))
    return attachment(archive.getvalue(), f"{event.slug}-{group.slug}-attestations.zip")
