"""Who organises what: invitations by email (sent, listed, withdrawn, accepted through their
link) and, for administrators, every account (deactivate, reactivate, make administrator,
reset the second factor). Each event's team is managed from the event's page
(organiser/pages/team.py)."""

from __future__ import annotations

from functools import partial

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.registration.accounts import operations as accounts
from services.registration.accounts import two_factor
from services.registration.accounts.auth import find_organiser, log_in
from services.registration.accounts.pages.passwords import link_refused
from services.registration.accounts.schemas import (
    AccountChangeSchema,
    AccountsArgsSchema,
    InvitationAcceptSchema,
    InvitationInputSchema,
)
from services.registration.area import Page, apply, load_form, page_args, pages_blueprint
from shared.access import admin_only, current_organiser, public, visible_events
from shared.database import db
from shared.errors import DomainError
from shared.i18n import LANGUAGES, current_language
from shared.paging import next_url

bp = pages_blueprint("team_pages", __name__)


def invited_message(invited: accounts.Invited) -> str:
    """What the organiser is told after inviting an address."""
    if invited.account is not None:
        return _("%(email)s a déjà un compte : l'accès lui est donné.", email=invited.account.email)
    assert invited.invitation is not None
    return _("Invitation envoyée à %(email)s.", email=invited.invitation.email)


def invitations_page(refusal: DomainError | None = None) -> Page:
    """Pending invitations, and the form to invite someone to one's events (filled in again
    after a refusal)."""
    organiser = current_organiser()
    return render_template(
        "accounts/invitations.html",
        invitations=accounts.visible_invitations(db.session, organiser),
        events=visible_events(db.session, organiser),
        languages=LANGUAGES,
        values=request.form if refusal else {"language": current_language()},
        chosen=set(request.form.getlist("events")),
        refusal=refusal,
        errors=refusal.errors if refusal else {},
    ), refusal.status if refusal else 200


@bp.get("/invitations")
def invitations() -> Page:
    """The pending invitations this organiser may see, and the invitation form."""
    return invitations_page()


@bp.post("/invitations")
def invite() -> Response | Page:
    """Invite an address to some of one's events (or give them to its existing account)."""

    def change() -> accounts.Invited:
        form = {**request.form.to_dict(), "events": request.form.getlist("events")}
        data = load_form(InvitationInputSchema(), form)
        return accounts.invite(
            db.session,
            current_organiser(),
            data["email"],
            accounts.events_named(db.session, data["events"]),
            data["language"] or current_language(),
        )

    return apply(
        change,
        done=invited_message,
        then=url_for("team_pages.invitations"),
        on_refusal=invitations_page,
    )


@bp.post("/invitations/<int:invitation_id>/withdraw")
def withdraw(invitation_id: int) -> Response | Page:
    """Withdraw a pending invitation: its link stops working."""
    return apply(
        lambda: accounts.withdraw_invitation(db.session, current_organiser(), invitation_id),
        done=_("Invitation retirée."),
        then=url_for("team_pages.invitations"),
        on_refusal=invitations_page,
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept(token: str) -> Response | Page:
    """The invitation's link: choose a password (and a name), then enter the organiser area.
    An address that has an account meanwhile only accepts: it signs in as always (with its
    password and second factor), never through the link."""
    try:
        invitation = accounts.invitation_by_token(db.session, token)
    except DomainError as refusal:
        return link_refused(refusal)
    existing = find_organiser(db.session, invitation.email) is not None
    page = partial(render_template, "accounts/invitation.html", invitation=invitation)
    if request.method == "GET":
        return page(existing=existing, errors={}), 200

    def change() -> accounts.Accepted:
        data = {} if existing else load_form(InvitationAcceptSchema())
        accepted = accounts.accept_invitation(db.session, invitation, data)
        if accepted.created:
            log_in(db.session, accepted.account)
        return accepted

    return apply(
        change,
        done=lambda accepted: (
            _("Bienvenue ! Votre compte est ouvert.")
            if accepted.created
            else _("Invitation acceptée : connectez-vous pour organiser ces événements.")
        ),
        then=lambda accepted: url_for(
            "roster_pages.index" if accepted.created else "login_pages.login"
        ),
        on_refusal=lambda refusal: (
            page(values=request.form, errors=refusal.errors, refusal=refusal, existing=existing),
            refusal.status,
        ),
    )


# --- Every account, for administrators -----------------------------------------------------------


def accounts_page(refusal: DomainError | None = None) -> Page:
    """A page of the accounts by address, with what an administrator may do to each."""
    page = accounts.accounts_page(db.session, **page_args(AccountsArgsSchema()))
    return render_template(
        "accounts/accounts.html",
        all_accounts=page.items,
        # Also shown by the account forms' routes when they refuse: the next page is this.
        more=next_url(page, "team_pages.all_accounts"),
        refusal=refusal,
    ), refusal.status if refusal else 200


@bp.get("/accounts")
@admin_only
def all_accounts() -> Page:
    """The organiser accounts, a page at a time."""
    return accounts_page()


@bp.post("/accounts/<int:organiser_id>")
@admin_only
def change_account(organiser_id: int) -> Response | Page:
    """Deactivate or reactivate an account, or change whether it administers."""
    return apply(
        lambda: accounts.change_account(
            db.session, current_organiser(), organiser_id, load_form(AccountChangeSchema())
        ),
        done=_("Compte modifié."),
        then=url_for("team_pages.all_accounts"),
        on_refusal=accounts_page,
    )


@bp.post("/accounts/<int:organiser_id>/two-factor/reset")
@admin_only
def reset_two_factor(organiser_id: int) -> Response | Page:
    """Turn off the second factor of an account that lost it; its sessions end."""
    return apply(
        lambda: two_factor.reset_for(
            db.session, current_organiser(), accounts.account_of(db.session, organiser_id)
        ),
        done=_("Validation en deux étapes réinitialisée."),
        then=url_for("team_pages.all_accounts"),
        on_refusal=accounts_page,
    )
