"""Accounts API: each event's team, invitations, one's personal tokens and, for
administrators, every account. Passwords and the second factor are set in the browser only; a
new token asks for the password (and the code), as in the browser."""

from __future__ import annotations

from typing import Any

from services.registration.accounts import operations as accounts
from services.registration.accounts.schemas import (
    AccountChangeSchema,
    AccountsArgsSchema,
    InvitationInputSchema,
    InvitationSchema,
    InvitedSchema,
    NewTokenSchema,
    OrganiserAccountSchema,
    PlanningFeedSchema,
    TeamInviteSchema,
    TeamMemberSchema,
    TokenInputSchema,
    TokenSchema,
)
from services.registration.accounts.throttle import checked_password
from services.registration.area import api_blueprint
from shared.access import admin_only, current_event, current_organiser
from shared.database import db
from shared.i18n import current_language
from shared.models import ApiToken, Organiser, OrganiserInvitation
from shared.paging import PAGE_HEADERS, paged

bp = api_blueprint("organiser_accounts", __name__, "Organisers: teams, invitations, tokens")


@bp.route("/events/<event_slug>/organisers", methods=["GET"])
@bp.response(200, TeamMemberSchema(many=True))
def team(event_slug: str) -> list[Organiser]:
    """The event's organisers."""
    return accounts.team_of(current_event())


@bp.route("/events/<event_slug>/organisers", methods=["POST"])
@bp.arguments(TeamInviteSchema)
@bp.response(201, InvitedSchema)
def add_to_team(data: dict[str, Any], event_slug: str) -> accounts.Invited:
    """Invite an address to organise the event; an existing account gets it at once."""
    return accounts.invite(
        db.session,
        current_organiser(),
        data["email"],
        [current_event()],
        data["language"] or current_language(),
    )


@bp.route("/events/<event_slug>/organisers/<int:organiser_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(409, description="The last active organiser of the event stays")
def remove_from_team(event_slug: str, organiser_id: int) -> None:
    """Take an organiser off the event's team: they lose its pages and API at once."""
    accounts.remove_from_team(db.session, current_organiser(), current_event(), organiser_id)


@bp.route("/organiser/invitations", methods=["GET"])
@bp.response(200, InvitationSchema(many=True))
def invitations() -> list[OrganiserInvitation]:
    """Pending invitations: every one for an admin, else those sent by or for the caller."""
    return accounts.visible_invitations(db.session, current_organiser())


@bp.route("/organiser/invitations", methods=["POST"])
@bp.arguments(InvitationInputSchema)
@bp.response(201, InvitedSchema)
@bp.alt_response(403, description="One of the events is not the caller's")
def invite(data: dict[str, Any]) -> accounts.Invited:
    """Invite an address to some of the caller's events, by slug."""
    return accounts.invite(
        db.session,
        current_organiser(),
        data["email"],
        accounts.events_named(db.session, data["events"]),
        data["language"] or current_language(),
    )


@bp.route("/organiser/invitations/<int:invitation_id>", methods=["DELETE"])
@bp.response(204)
def withdraw(invitation_id: int) -> None:
    """Withdraw a pending invitation: its link stops working."""
    accounts.withdraw_invitation(db.session, current_organiser(), invitation_id)


@bp.route("/organiser/tokens", methods=["GET"])
@bp.response(200, TokenSchema(many=True))
def tokens() -> list[ApiToken]:
    """The caller's tokens in force: name, creation, last use (to the minute)."""
    return accounts.tokens_of(db.session, current_organiser())


@bp.route("/organiser/tokens", methods=["POST"])
@bp.arguments(TokenInputSchema)
@bp.response(201, NewTokenSchema)
@bp.alt_response(429, description="Too many wrong passwords or codes: wait (Retry-After)")
@bp.alt_response(503, description="The attempts cannot be counted: none is checked")
def create_token(data: dict[str, Any]) -> dict[str, Any]:
    """A new named token for the caller, valid ``days`` days (90 unless chosen), after their
    password (and their second factor's ``code`` when they have one); its value is in this
    answer only."""
    organiser = current_organiser()
    with checked_password(organiser.id):
        api_token, value = accounts.create_token(db.session, organiser, data)
    fields = ("id", "name", "created_at", "last_used_at", "expires_at")
    return {**{field: getattr(api_token, field) for field in fields}, "token": value}


@bp.route("/organiser/tokens/<int:token_id>", methods=["DELETE"])
@bp.response(204)
def revoke_token(token_id: int) -> None:
    """Revoke one of the caller's tokens: it stops working at once."""
    accounts.revoke_own_token(db.session, current_organiser(), token_id)


@bp.route("/organisers", methods=["GET"])
@bp.arguments(AccountsArgsSchema, location="query")
@bp.response(200, OrganiserAccountSchema(many=True), headers=PAGE_HEADERS)
@admin_only
def all_accounts(args: dict[str, Any]) -> tuple[list[Organiser], int, dict[str, str]]:
    """Every organiser account by address, a page at a time (administrators only): the next
    page is the ``Link`` header's rel="next"."""
    return paged(accounts.accounts_page(db.session, **args))


@bp.route("/organisers/<int:organiser_id>", methods=["PATCH"])
@bp.arguments(AccountChangeSchema)
@bp.response(200, OrganiserAccountSchema)
@admin_only
def change_account(data: dict[str, Any], organiser_id: int) -> Organiser:
    """Deactivate (sessions and tokens stop at once) or reactivate an account, or change
    whether it administers (administrators only; not one's own)."""
    return accounts.change_account(db.session, current_organiser(), organiser_id, data)


@bp.route("/account/planning-feed", methods=["GET"])
@bp.response(200, PlanningFeedSchema)
def planning_feed() -> dict[str, str]:
    """The link of the caller's planning feed: the dates of the events they run (every
    event for an administrator), drafts included."""
    return {"link": accounts.planning_feed_link(current_organiser(), current_language())}


@bp.route("/account/planning-feed", methods=["POST"])
@bp.response(200, PlanningFeedSchema)
def renew_planning_feed() -> dict[str, str]:
    """A new link for the caller's planning feed; the old one answers 410 from now."""
    organiser = current_organiser()
    accounts.renew_planning_feed(db.session, organiser)
    return {"link": accounts.planning_feed_link(organiser, current_language())}
