"""Organiser accounts: argon2 passwords, personal API tokens and the login session."""

from __future__ import annotations

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.access import SESSION_KEY, SESSION_NONCE_KEY, SESSION_VERSION_KEY
from shared.app import CookieOnlySessions
from shared.database import utcnow
from shared.domain.registrations import normalise_email
from shared.errors import InvalidRequest, NotFound
from shared.models import ApiToken, Organiser
from shared.tokens import digest, new_token

password_hasher = PasswordHasher()

# A hash to verify against when the account does not exist, so that a login attempt takes
# as long for an unknown address as for a wrong password.
_DUMMY_HASH = password_hasher.hash("no such account")


class OrganiserSessionInterface(CookieOnlySessions):
    """The session cookie is Secure whenever the request arrived over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure if configured so, or if this request came over https."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_auth(app: Flask) -> None:
    """Configure the organisers' session cookie for ``app``."""
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=12))
    app.session_interface = OrganiserSessionInterface()


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return password_hasher.hash(password)


def authenticate(session: Session, email: str, password: str) -> Organiser | None:
    """The active organiser with this address and password, or None; rehashes outdated
    hashes."""
    organiser = find_organiser(session, email)
    try:
        password_hasher.verify(organiser.password_hash if organiser else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    # A deactivated account is refused like a wrong password: the answer tells nothing more.
    if organiser is None or not organiser.is_active:
        return None
    if password_hasher.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = hash_password(password)
    return organiser


def verify_password(organiser: Organiser, password: str) -> bool:
    """Whether ``password`` is the organiser's."""
    try:
        return password_hasher.verify(organiser.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_organiser(session: Session, email: str) -> Organiser | None:
    """The organiser account of this address, whatever its spelling."""
    return session.scalar(select(Organiser).where(Organiser.email == normalise_email(email)))


def log_in(organiser: Organiser) -> None:
    """Start a fresh login session for the organiser: nothing of the session before it is
    kept (no fixation), and it lasts while the account's session version stays the same."""
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = organiser.id
    session[SESSION_VERSION_KEY] = organiser.session_version
    # A new value in every login's cookie, even for the same account and version.
    session[SESSION_NONCE_KEY] = secrets.token_urlsafe(16)


def renew_session(organiser: Organiser) -> None:
    """Keep the current session open after the account's session version was raised (its
    own password change), while every other session of the account ends."""
    session[SESSION_VERSION_KEY] = organiser.session_version


def log_out() -> None:
    """End the login session."""
    session.clear()


def create_organiser(
    session: Session, email: str, password: str, *, name: str = "", is_admin: bool = False
) -> Organiser:
    """Create an organiser account; refused when the address already has one."""
    if not password:
        raise InvalidRequest(errors={"password": [_l("Ce champ ne peut pas être vide.")]})
    if find_organiser(session, email) is not None:
        raise InvalidRequest(errors={"email": [_l("Un compte existe déjà pour cette adresse.")]})
    organiser = Organiser(
        email=normalise_email(email),
        name=name,
        password_hash=hash_password(password),
        is_admin=is_admin,
    )
    session.add(organiser)
    session.flush()
    return organiser


def issue_token(session: Session, organiser: Organiser, *, name: str = "") -> tuple[ApiToken, str]:
    """A new personal API token for the organiser and its value; only its digest is kept."""
    token = new_token()
    api_token = ApiToken(organiser=organiser, token_digest=digest(token), name=name)
    session.add(api_token)
    session.flush()
    return api_token, token


def revoke_token(session: Session, token: str) -> ApiToken:
    """Revoke a personal API token given in full; 404 if it is unknown."""
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_digest == digest(token)))
    if api_token is None:
        raise NotFound()
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        session.flush()
    return api_token


def login_account_key() -> str:
    """The rate-limit key of the account a login attempt names."""
    return "account:" + normalise_email(request.form.get("email", ""))
