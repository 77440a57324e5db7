"""The organiser pages of the journal: who changed what in an event, its groups and its
registrations, and when, newest first, a page at a time; and, for administrators, every
entry, accounts included."""

from __future__ import annotations

from flask import render_template, request
from marshmallow import EXCLUDE

from services.registration import audit
from services.registration.area import load_form, pages_blueprint
from services.registration.organiser.schemas.journal import JournalQuerySchema
from shared.access import admin_only, current_event
from shared.database import db
from shared.models import Event

bp = pages_blueprint("journal_pages", __name__)


@bp.get("/events/<event_slug>/log")
def journal(event_slug: str) -> str:
    """One page of the event's journal, with a link to the older entries."""
    return _journal_page(current_event())


@bp.get("/accounts/log")
@admin_only
def everything() -> str:
    """One page of the whole journal, accounts included, for administrators."""
    return _journal_page(None)


def _journal_page(event: Event | None) -> str:
    # The page's address may also carry the language switcher's ``lang``.
    args = load_form(JournalQuerySchema(unknown=EXCLUDE), request.args)
    return render_template(
        "organiser/journal.html",
        event=event,
        journal=audit.journal(db.session, event, **args),
        page_size=args["limit"],
        label=audit.action_label,
        described=audit.described,
    )
