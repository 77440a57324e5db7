"""The organiser login page, its second step and logout. Login attempts are limited per address
and per account, second steps per address and per account; only failed attempts count, so an
organiser who types their password (and code) right is never slowed.

An account with two-factor sign-in gets, after the right password, a session that names it as
pending only: the organiser area stays closed until the code (or a recovery code) is right,
within a few minutes, and the login session is then opened afresh."""

from __future__ import annotations

import time

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from services.registration.accounts.auth import authenticate, log_in, log_out, login_account_key
from services.registration.accounts.two_factor import verify_second_factor
from services.registration.area import pages_blueprint
from services.registration.web import safe_next
from shared.access import account_of_session, public
from shared.database import db
from shared.limits import limiter
from shared.models import Organiser

bp = pages_blueprint("login_pages", __name__)
PENDING_KEY = "organiser_pending"
# The second step must follow the password within this many seconds.
PENDING_LIFETIME_S = 300


def _failed(response: Response) -> bool:
    return response.status_code != 303


def _address_limit() -> str:
    return current_app.config["RATE_LIMIT_LOGIN_PER_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["RATE_LIMIT_LOGIN_PER_ACCOUNT"]


def _second_step_limit() -> str:
    return current_app.config["RATE_LIMIT_TWO_FACTOR_PER_ACCOUNT"]


def _pending_account_key() -> str:
    pending = session.get(PENDING_KEY) or {}
    return f"second-step:{pending.get('id', '-')}"


def _home() -> str:
    return url_for("roster_pages.index")


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
    """Show the login form; on the right address and password, open the organiser area, or
    ask for the second factor of an account that has one."""
    next_page = request.values.get("next", "")
    if request.method == "GET":
        return render_template("accounts/login.html", next=next_page), 200
    email = request.form.get("email", "").strip()
    organiser = authenticate(db.session, email, request.form.get("password", ""))
    if organiser is None:
        error = _("Adresse e-mail ou mot de passe incorrect.")
        return render_template("accounts/login.html", next=next_page, email=email, error=error), 401
    if organiser.has_two_factor:
        # Nothing of the session before is kept, and it opens nothing yet.
        session.clear()
        session[PENDING_KEY] = {
            "id": organiser.id,
            "version": organiser.session_version,
            "since": int(time.time()),
        }
        return redirect(url_for("login_pages.second_step", next=next_page or None), code=303)
    log_in(organiser)
    return redirect(safe_next(next_page, within=_home(), default=_home()), code=303)


def pending_organiser() -> Organiser | None:
    """The account whose password was right a moment ago and whose second step is awaited."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_LIFETIME_S:
        return None
    organiser = account_of_session(db.session, pending.get("id"), pending.get("version"))
    return organiser if organiser is not None and organiser.has_two_factor else None


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_address_limit, key_func=get_remote_address, methods=["POST"], deduct_when=_failed)
@limiter.limit(
    _second_step_limit,
    key_func=_pending_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-second-step",
)
@public
def second_step() -> Response | tuple[str, int]:
    """Ask for the code of the authenticator app (or a recovery code); on the right one, open
    the organiser area. A wrong one is refused and counted."""
    next_page = request.values.get("next", "")
    organiser = pending_organiser()
    if organiser is None:
        return redirect(url_for("login_pages.login", next=next_page or None), code=302)
    if request.method == "GET":
        return render_template("accounts/login_code.html", next=next_page), 200
    if not verify_second_factor(db.session, organiser, request.form.get("code", "")):
        error = _("Ce code n'est pas valide. Réessayez avec le code affiché maintenant.")
        return render_template("accounts/login_code.html", next=next_page, error=error), 401
    log_in(organiser)
    return redirect(safe_next(next_page, within=_home(), default=_home()), code=303)


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
    return render_template("accounts/login.html", next="", error=error), 429
