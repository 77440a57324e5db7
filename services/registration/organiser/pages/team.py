"""Each event's team, from the event's page: add someone by invitation (an existing account
gets it at once), remove someone, never the last organiser. The accounts themselves and the
invitations belong to the accounts audience, whose operations this page calls."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.registration.accounts import operations as accounts
from services.registration.accounts.pages.team import invited_message
from services.registration.accounts.schemas import TeamInviteSchema
from services.registration.area import Page, apply, load_form, pages_blueprint
from services.registration.organiser.pages.rosters import event_page
from shared.access import current_event, current_organiser
from shared.database import db
from shared.errors import DomainError
from shared.i18n import current_language

bp = pages_blueprint("event_team_pages", __name__)


def _event_page() -> str:
    return url_for("roster_pages.event", event_slug=current_event().slug)


def _event_refusal(refusal: DomainError) -> Page:
    return event_page(current_event(), refusal)


@bp.post("/events/<event_slug>/team")
def add_to_team(event_slug: str) -> Response | Page:
    """Invite someone to organise this event (an existing account gets it at once)."""

    def change() -> accounts.Invited:
        data = load_form(TeamInviteSchema())
        return accounts.invite(
            db.session,
            current_organiser(),
            data["email"],
            [current_event()],
            data["language"] or current_language(),
        )

    return apply(change, done=invited_message, then=_event_page(), on_refusal=_event_refusal)


@bp.post("/events/<event_slug>/team/<int:organiser_id>/remove")
def remove_from_team(event_slug: str, organiser_id: int) -> Response | Page:
    """Take someone off the event's team; never its last organiser."""
    organiser = current_organiser()
    event = current_event()
    # Who removes themselves (not an admin) no longer sees the event: back to their events.
    leaves = organiser.id == organiser_id and not organiser.is_admin
    return apply(
        lambda: accounts.remove_from_team(db.session, organiser, event, organiser_id),
        done=_("Retiré·e de l'équipe."),
        then=url_for("roster_pages.index") if leaves else _event_page(),
        on_refusal=_event_refusal,
    )
