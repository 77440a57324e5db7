"""Organiser accounts: argon2 passwords, personal API tokens and the login session.

A login session is a row on the server (shared.models.OrganiserSession) as well as the signed
cookie: the cookie carries the session's random id, the row its digest, so that logging out
and every account change that must end sessions delete rows, and a copied cookie then opens
nothing. It lasts 12 hours from the last request, and 7 days at most from the login."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shared.access import SESSION_ID_KEY, SESSION_KEY, SESSION_VERSION_KEY
from shared.app import CookieOnlySessions
from shared.database import utcnow
from shared.domain.accounts import SESSION_LIFETIME, TOKEN_LIFETIME_DAYS
from shared.domain.registrations import normalise_email
from shared.errors import InvalidRequest, NotFound
from shared.models import ApiToken, Organiser, OrganiserSession
from shared.tokens import digest, new_token

password_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so that a login attempt takes
    as long for an unknown address as for a wrong password."""
    # Made at the first login, whatever address it names, not at import: a hash takes about
    # 0.2 s of processor, which every process importing this app would pay at start.
    return password_hasher.hash("no such account")


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
    dummy = _dummy_hash()  # before the lookup, so that the first login costs it either way
    organiser = find_organiser(session, email)
    try:
        password_hasher.verify(organiser.password_hash if organiser else dummy, password)
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


def log_in(database: Session, organiser: Organiser) -> None:
    """Start a fresh login session for the organiser: nothing of the session before it is
    kept (no fixation), and it lasts while its row stays and the account's session version
    stays the same."""
    end_this_session(database)
    now = utcnow()
    # The account's sessions past their last moment go at its next login.
    database.execute(
        delete(OrganiserSession).where(
            OrganiserSession.organiser_id == organiser.id, OrganiserSession.expires_at <= now
        )
    )
    session_id = new_token()
    database.add(
        OrganiserSession(
            organiser_id=organiser.id,
            id_digest=digest(session_id),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    database.flush()
    session.permanent = True
    session[SESSION_KEY] = organiser.id
    session[SESSION_VERSION_KEY] = organiser.session_version
    session[SESSION_ID_KEY] = session_id


def renew_session(organiser: Organiser) -> None:
    """Keep the current session open after the account's session version was raised (its
    own password change), while every other session of the account ends."""
    session[SESSION_VERSION_KEY] = organiser.session_version


def current_session_digest() -> str | None:
    """The digest of this request's login session id, if it has one."""
    session_id = session.get(SESSION_ID_KEY)
    return digest(session_id) if isinstance(session_id, str) else None


def end_this_session(database: Session) -> None:
    """End the request's login session: its row goes, and the cookie is emptied."""
    this = current_session_digest()
    if this is not None:
        database.execute(delete(OrganiserSession).where(OrganiserSession.id_digest == this))
    session.clear()


def end_sessions(database: Session, organiser: Organiser, *, keep: str | None = None) -> None:
    """End every login session of the account, but the one whose id has the digest ``keep``."""
    ending = delete(OrganiserSession).where(OrganiserSession.organiser_id == organiser.id)
    if keep is not None:
        ending = ending.where(OrganiserSession.id_digest != keep)
    database.execute(ending.execution_options(synchronize_session=False))
    organiser.session_version += 1


def end_tokens(database: Session, organiser: Organiser) -> None:
    """Revoke every personal API token of the account."""
    database.execute(
        update(ApiToken)
        .where(ApiToken.organiser_id == organiser.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


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


def issue_token(
    session: Session, organiser: Organiser, *, name: str = "", days: int = TOKEN_LIFETIME_DAYS
) -> tuple[ApiToken, str]:
    """A new personal API token for the organiser, valid ``days`` days, and its value; only
    its digest is kept."""
    token = new_token()
    now = utcnow()
    api_token = ApiToken(
        organiser=organiser,
        token_digest=digest(token),
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
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
