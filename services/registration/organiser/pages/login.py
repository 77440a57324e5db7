"""The organiser login page and logout. Login attempts are limited per address and per account;
only failed attempts count, so an organiser who types their password right is never slowed."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from services.registration.organiser.auth import authenticate, log_in, log_out, login_account_key
from services.registration.organiser.pages.forms import pages_blueprint
from services.registration.web import safe_next
from shared.access import public
from shared.database import db
from shared.limits import limiter

bp = pages_blueprint("login_pages", __name__)


def _failed(response: Response) -> bool:
    return response.status_code != 303


def _address_limit() -> str:
    return current_app.config["RATE_LIMIT_LOGIN_PER_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["RATE_LIMIT_LOGIN_PER_ACCOUNT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, key_func=get_remote_address, methods=["POST"], deduct_when=_failed)
@limiter.limit(
    _account_limit,
    key_func=login_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-account",
)
@public
def login() -> Response | tuple[str, int]:
    """Show the login form; on the right address and password, open the organiser area."""
    next_page = request.values.get("next", "")
    if request.method == "GET":
        return render_template("organiser/login.html", next=next_page), 200
    email = request.form.get("email", "").strip()
    organiser = authenticate(db.session, email, request.form.get("password", ""))
    if organiser is None:
        error = _("Adresse e-mail ou mot de passe incorrect.")
        return render_template(
            "organiser/login.html", next=next_page, email=email, error=error
        ), 401
    log_in(organiser)
    home = url_for("roster_pages.index")
    return redirect(safe_next(next_page, within=home, default=home), code=303)


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    """Close the login session."""
    log_out()
    return redirect(url_for("login_pages.login"), code=303)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error: RateLimitExceeded) -> tuple[str, int]:
    """The login page again, saying to wait; the limiter adds Retry-After."""
    error = _("Trop de tentatives de connexion. Réessayez dans quelques minutes.")
    return render_template("organiser/login.html", next="", error=error), 429
