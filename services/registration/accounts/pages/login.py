"""The organiser login page, its second step and logout. Attempts are counted per account and
client address, and per client address, with growing delays (accounts.throttle): a right
password (and code) gives its attempt back, so an organiser who types it right is never
slowed, and nobody elsewhere can lock them out. Each login, each failed one and each wrong
second factor is written to the audit log.

An account with two-factor sign-in gets, after the right password, a session that names it as
pending only: the organiser area stays closed until the code (or a recovery code) is right,
within a few minutes, and the login session is then opened afresh."""

from __future__ import annotations

import time

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.registration.accounts.auth import (
    authenticate,
    end_this_session,
    find_organiser,
    log_in,
)
from services.registration.accounts.throttle import count_attempt, login_subject
from services.registration.accounts.two_factor import verify_second_factor
from services.registration.area import pages_blueprint
from services.registration.audit import record, record_apart
from services.registration.web import safe_next
from shared.access import account_of_session, public
from shared.database import db
from shared.errors import AttemptsUncounted, TooManyAttempts
from shared.models import Organiser

bp = pages_blueprint("login_pages", __name__)
PENDING_KEY = "organiser_pending"
# The second step must follow the password within this many seconds.
PENDING_LIFETIME_S = 300


def _home() -> str:
    return url_for("roster_pages.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int]:
    """Show the login form; on the right address and password, open the organiser area, or
    ask for the second factor of an account that has one."""
    next_page = request.values.get("next", "")
    if request.method == "GET":
        return render_template("accounts/login.html", next=next_page), 200
    email = request.form.get("email", "").strip()
    attempt = count_attempt(login_subject(email))
    organiser = authenticate(db.session, email, request.form.get("password", ""))
    if organiser is None:
        # The address is written only when it names an account: a password typed into the
        # address field must not land in the journal.
        record_apart("login.failed", account=find_organiser(db.session, email))
        error = _("Adresse e-mail ou mot de passe incorrect.")
        return render_template("accounts/login.html", next=next_page, email=email, error=error), 401
    attempt.succeeded()
    if organiser.has_two_factor:
        # Nothing of the session before is kept, and it opens nothing yet.
        end_this_session(db.session)
        session[PENDING_KEY] = {
            "id": organiser.id,
            "version": organiser.session_version,
            "since": int(time.time()),
        }
        return redirect(url_for("login_pages.second_step", next=next_page or None), code=303)
    log_in(db.session, organiser)
    record(db.session, organiser, "login.succeeded", account=organiser)
    return redirect(safe_next(next_page, within=_home(), default=_home()), code=303)


def pending_organiser() -> Organiser | None:
    """The account whose password was right a moment ago and whose second step is awaited."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_LIFETIME_S:
        return None
    organiser = account_of_session(db.session, pending.get("id"), pending.get("version"))
    return organiser if organiser is not None and organiser.has_two_factor else None


@bp.route("/login/code", methods=["GET", "POST"])
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
    attempt = count_attempt(f"account:{organiser.id}")
    if not verify_second_factor(db.session, organiser, request.form.get("code", "")):
        record_apart("two_factor.failed", account=organiser)
        error = _("Ce code n'est pas valide. Réessayez avec le code affiché maintenant.")
        return render_template("accounts/login_code.html", next=next_page, error=error), 401
    attempt.succeeded()
    log_in(db.session, organiser)
    record(db.session, organiser, "login.succeeded", account=organiser)
    return redirect(safe_next(next_page, within=_home(), default=_home()), code=303)


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    """Close the login session: its cookie opens nothing any more, wherever it was copied."""
    end_this_session(db.session)
    response = redirect(url_for("login_pages.login"), code=303)
    # What a check-in page kept on this device for offline use (codes' digests, first names,
    # unsent marks) goes with the session.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


@bp.errorhandler(TooManyAttempts)
@bp.errorhandler(AttemptsUncounted)
def attempt_refused(
    refusal: TooManyAttempts | AttemptsUncounted,
) -> tuple[str, int, dict[str, str]]:
    """The login page again, saying to wait (with Retry-After), or that attempts cannot be
    counted now."""
    db.session.rollback()
    template = (
        "accounts/login_code.html"
        if request.endpoint == "login_pages.second_step"
        else ("accounts/login.html")
    )
    error = str(refusal.message)
    return render_template(template, next="", error=error), refusal.status, refusal.headers
