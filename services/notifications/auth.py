"""Organisers authenticate with a personal API token: ``Authorization: Bearer <token>``."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shared.database import db
from shared.errors import DomainError
from shared.models import ApiToken, Organiser
from shared.tokens import digest


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("Authentification requise.")


def require_organiser() -> Organiser:
    """The organiser whose unrevoked token the request carries; 401 otherwise."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    organiser = None
    if scheme.lower() == "bearer" and token:
        organiser = db.session.scalar(
            select(Organiser)
            .join(ApiToken, ApiToken.organiser_id == Organiser.id)
            .where(ApiToken.token_digest == digest(token), ApiToken.revoked_at.is_(None))
        )
    if organiser is None:
        raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="atelier"'})
    return organiser
