"""The language switcher: remember the choice and go back to the same page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request
from werkzeug.wrappers import Response

from services.registration.web import remember_language, safe_next
from shared.i18n import LANGUAGES

bp = Blueprint("language", __name__)


@bp.get("/language/<code>")
def choose(code: str) -> Response:
    """Keep ``code`` in the language cookie and return to the page the visitor was on."""
    if code not in LANGUAGES:
        abort(404)
    return remember_language(redirect(safe_next(request.args.get("next")), 303), code)
