"""Recovering an organiser account by email: "forgot your password?" sends a single-use link,
valid one hour, whose page sets a new password. The request is answered alike whether the
address has an account or not, and counted per address typed and client address, and per
client address, with growing delays (accounts.throttle): nobody can keep an owner from
resetting their password from their own connection."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.registration.accounts import operations as accounts
from services.registration.accounts.schemas import NewPasswordSchema, PasswordForgottenSchema
from services.registration.accounts.throttle import count_attempt
from services.registration.area import Page, apply, load_form, pages_blueprint
from shared.access import public
from shared.database import db
from shared.domain.registrations import normalise_email
from shared.errors import AttemptsUncounted, DomainError, TooManyAttempts
from shared.i18n import current_language

bp = pages_blueprint("password_pages", __name__)


@bp.route("/password/forgotten", methods=["GET", "POST"])
@public
def forgotten() -> Page | tuple[str, int, dict[str, str]]:
    """Ask for a reset link; the same answer whether the address has an account or not."""
    if request.method == "GET":
        return render_template("accounts/password_forgotten.html", values={}, errors={}), 200
    try:
        count_attempt("reset:" + normalise_email(request.form.get("email", "")), reset=True)
        data = load_form(PasswordForgottenSchema())
    except (TooManyAttempts, AttemptsUncounted) as refusal:
        page = render_template(
            "accounts/password_forgotten.html", values=request.form, errors={}, refusal=refusal
        )
        return page, refusal.status, refusal.headers
    except DomainError as refusal:
        return render_template(
            "accounts/password_forgotten.html",
            values=request.form,
            errors=refusal.errors,
            refusal=refusal,
        ), refusal.status
    accounts.request_reset(db.session, data["email"], current_language())
    return render_template("accounts/password_forgotten.html", sent=True), 200


def link_refused(refusal: DomainError) -> Page:
    """The page of a link that no longer opens anything: unknown, used or expired."""
    db.session.rollback()
    return render_template("accounts/link_refused.html", refusal=refusal), refusal.status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str) -> Response | Page:
    """Choose a new password through a reset link; every session of the account ends."""
    try:
        password_reset = accounts.reset_by_token(db.session, token)
    except DomainError as refusal:
        return link_refused(refusal)
    email = password_reset.organiser.email
    if request.method == "GET":
        return render_template("accounts/password_reset.html", email=email, errors={}), 200
    return apply(
        lambda: accounts.complete_reset(
            db.session, password_reset, load_form(NewPasswordSchema())["password"]
        ),
        done=_("Votre mot de passe est changé. Connectez-vous avec le nouveau."),
        then=url_for("login_pages.login"),
        on_refusal=lambda refusal: (
            render_template(
                "accounts/password_reset.html", email=email, errors=refusal.errors, refusal=refusal
            ),
            refusal.status,
        ),
    )
