"""The signed-in organiser's own account: their password, two-factor sign-in (enrolment with
a QR code, recovery codes shown once, turning it off) and their personal API tokens (created
with a name and a lifetime after the password and code, shown once, listed with their last
use and expiry, revoked), and the link of their planning feed, which they may renew. Every
check of the current password is counted (accounts.throttle)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.registration.accounts import operations as accounts
from services.registration.accounts import two_factor
from services.registration.accounts.auth import current_session_digest, renew_session
from services.registration.accounts.schemas import (
    PasswordChangeSchema,
    PasswordCheckSchema,
    SecondFactorSchema,
    TokenInputSchema,
)
from services.registration.accounts.throttle import checked_password
from services.registration.area import Page, apply, load_form, pages_blueprint
from shared.access import current_organiser, open_before_two_factor, second_factor_required
from shared.database import db
from shared.errors import DomainError
from shared.i18n import current_language

bp = pages_blueprint("account_pages", __name__)
# A page showing a secret once is kept by no cache, nor by the browser's history.
SHOWN_ONCE = {"Cache-Control": "no-store"}
ShownOnce = tuple[str, int, dict[str, str]]


def account_page(refusal: DomainError | None = None, form: str = "") -> Page:
    """The account's page; a refused form's messages shown next to it (``form`` names it)."""
    organiser = current_organiser()
    return render_template(
        "accounts/account.html",
        tokens=accounts.tokens_of(db.session, organiser),
        planning_feed=accounts.planning_feed_link(organiser, current_language()),
        recovery_left=two_factor.remaining_recovery_codes(db.session, organiser),
        two_factor_required=second_factor_required(organiser),
        refusal=refusal,
        refused_form=form,
        errors=refusal.errors if refusal else {},
    ), refusal.status if refusal else 200


def _here() -> str:
    return url_for("account_pages.account")


@bp.get("/account")
def account() -> Page:
    """Password, two-factor sign-in and personal API tokens."""
    return account_page()


@bp.post("/account/password")
def change_password() -> Response | Page:
    """Change the password; every other session of the account ends, this one stays."""

    def change() -> Any:
        data = load_form(PasswordChangeSchema())
        with checked_password(current_organiser().id):
            organiser = accounts.change_password(
                db.session,
                current_organiser(),
                data["current_password"],
                data["password"],
                keep=current_session_digest(),
            )
        renew_session(organiser)
        return organiser

    return apply(
        change,
        done=_("Mot de passe changé. Vos autres sessions sont fermées."),
        then=_here(),
        on_refusal=lambda refusal: account_page(refusal, "password"),
    )


def enrolment_page(refusal: DomainError | None = None) -> Page:
    """The QR code and the secret to enrol, and the field for the app's first code."""
    organiser = current_organiser()
    secret = two_factor.enrolment_secret(db.session, organiser)
    uri = two_factor.provisioning_uri(organiser, secret)
    return render_template(
        "accounts/two_factor.html",
        qr_code=two_factor.qr_code(uri),
        secret=two_factor.secret_for_display(secret),
        required=second_factor_required(organiser),
        refusal=refusal,
        errors=refusal.errors if refusal else {},
    ), refusal.status if refusal else 200


@bp.get("/account/two-factor")
@open_before_two_factor
def two_factor_page() -> Response | Page:
    """Enrol an authenticator app: scan the QR code, then type the code it shows."""
    if current_organiser().has_two_factor:
        return redirect(_here())
    return enrolment_page()


@bp.post("/account/two-factor")
@open_before_two_factor
def confirm_two_factor() -> Page | ShownOnce:
    """Turn two-factor sign-in on with the app's first code; show the recovery codes once."""
    organiser = current_organiser()
    try:
        code = load_form(SecondFactorSchema())["code"]
        codes = two_factor.confirm_enrolment(db.session, organiser, code)
    except DomainError as refusal:
        db.session.rollback()
        if organiser.has_two_factor:
            return account_page(refusal)
        return enrolment_page(refusal)
    return render_template("accounts/recovery_codes.html", codes=codes), 200, SHOWN_ONCE


@bp.post("/account/two-factor/disable")
def disable_two_factor() -> Response | Page:
    """Turn two-factor sign-in off, after the password."""

    def disable() -> Any:
        password = load_form(PasswordCheckSchema())["password"]
        with checked_password(current_organiser().id):
            return two_factor.disable(db.session, current_organiser(), password)

    return apply(
        disable,
        done=_("Validation en deux étapes désactivée."),
        then=_here(),
        on_refusal=lambda refusal: account_page(refusal, "two_factor"),
    )


@bp.post("/account/two-factor/recovery-codes")
def renew_recovery_codes() -> Page | ShownOnce:
    """Ten new recovery codes, shown once; the earlier ones stop working."""
    try:
        codes = two_factor.regenerate_recovery_codes(db.session, current_organiser())
    except DomainError as refusal:
        db.session.rollback()
        return account_page(refusal, "two_factor")
    return render_template("accounts/recovery_codes.html", codes=codes), 200, SHOWN_ONCE


@bp.post("/account/tokens")
def create_token() -> Page | ShownOnce:
    """Create a named personal API token, after the password (and the code), and show it,
    this once."""
    organiser = current_organiser()
    try:
        data = load_form(TokenInputSchema())
        with checked_password(organiser.id):
            api_token, value = accounts.create_token(db.session, organiser, data)
    except DomainError as refusal:
        db.session.rollback()
        return account_page(refusal, "token")
    page = render_template("accounts/token_created.html", api_token=api_token, value=value)
    return page, 200, SHOWN_ONCE


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response | Page:
    """Revoke one of the organiser's tokens: it stops working at once."""
    return apply(
        lambda: accounts.revoke_own_token(db.session, current_organiser(), token_id),
        done=_("Jeton révoqué."),
        then=_here(),
        on_refusal=lambda refusal: account_page(refusal, "token"),
    )


@bp.post("/account/planning-feed")
def renew_planning_feed() -> Response | Page:
    """Give the organiser a new planning feed link: the old one stops working."""
    return apply(
        lambda: accounts.renew_planning_feed(db.session, current_organiser()),
        done=_("Nouveau lien du planning créé ; l'ancien ne fonctionne plus."),
        then=_here(),
        on_refusal=lambda refusal: account_page(refusal, "planning_feed"),
    )
