"""One JSON error shape for every service: ``{code, status, message, errors}``.

Messages are translated into the request's language when the response is built. A service
with web pages may register an HTML error page (``register_html_error_page``): browsers asking
for a page outside /api/ then get it instead of JSON.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from shared.database import RETRY_AFTER_S, db, is_lock_timeout
from shared.errors import DomainError

log = logging.getLogger(__name__)

HtmlErrorPage = Callable[[int, str, dict[str, list[str]], dict[str, str]], Response]
_HTML_ERROR_PAGE = "html_error_page"
API_PREFIX = "/api/"

STATUS_MESSAGES = {
    400: _l("La requête est invalide."),
    401: _l("Authentification requise."),
    403: _l("Vous n'avez pas accès à cette ressource."),
    404: _l("Cette ressource n'existe pas."),
    405: _l("Cette méthode n'est pas permise ici."),
    409: _l("La demande est en conflit avec l'état actuel."),
    410: _l("Ce lien a été remplacé et ne fonctionne plus."),
    413: _l("La requête est trop volumineuse."),
    414: _l("L'adresse demandée est trop longue."),
    415: _l("Le contenu doit être envoyé en JSON."),
    422: _l("Certaines données sont invalides."),
    429: _l("Trop de requêtes. Veuillez réessayer plus tard."),
    431: _l("Un en-tête de la requête est trop long."),
    500: _l("Une erreur interne est survenue."),
    503: _l("Le service est momentanément indisponible. Veuillez réessayer dans un instant."),
}

# marshmallow and webargs speak English; their messages are mapped to the catalogue's.
LIBRARY_MESSAGES = {
    "Missing data for required field.": _l("Ce champ est obligatoire."),
    "Unknown field.": _l("Ce champ n'est pas accepté."),
    "Field may not be null.": _l("Ce champ ne peut pas être vide."),
    "Not a valid string.": _l("Un texte est attendu."),
    "Not a valid boolean.": _l("Une valeur vrai ou faux est attendue."),
    "Not a valid integer.": _l("Un nombre entier est attendu."),
    "Not a valid number.": _l("Un nombre est attendu."),
    "Not a valid email address.": _l("Cette adresse e-mail n'est pas valide."),
    "Not a valid datetime.": _l("Une date et heure ISO 8601 est attendue."),
    "Not a valid mapping type.": _l("Un objet JSON est attendu."),
    "Invalid input type.": _l("Un objet JSON est attendu."),
    "Invalid JSON body.": _l("Le corps de la requête n'est pas du JSON valide."),
}


class ErrorSchema(Schema):
    """The error shape as the OpenAPI documents describe it."""

    code = fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    status = fields.Integer(required=True, metadata={"description": "HTTP status"})
    message = fields.String(required=True, metadata={"description": "In the request's language"})
    # Nested schemas and list indexes nest an object of messages inside the list.
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Raw()),
        metadata={"description": "Messages per field"},
    )


# Their messages that carry the field's limits or choices, read back into the catalogue's.
LIBRARY_PATTERNS = (
    (re.compile(r"Must be one of: (?P<choices>.*)\."), _l("Choisissez parmi : %(choices)s.")),
    (re.compile(r"Longer than maximum length (?P<max>\d+)\."), _l("%(max)s caractères au plus.")),
    (re.compile(r"Shorter than minimum length (?P<min>\d+)\."), _l("Au moins %(min)s caractères.")),
    (
        re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\."),
        _l("De %(min)s à %(max)s caractères."),
    ),
    (
        re.compile(
            r"Must be greater than or equal to (?P<min>\S+)"
            r" and less than or equal to (?P<max>\S+)\."
        ),
        _l("De %(min)s à %(max)s."),
    ),
    (re.compile(r"Must be greater than or equal to (?P<min>\S+)\."), _l("Au moins %(min)s.")),
    (re.compile(r"Must be less than or equal to (?P<max>\S+)\."), _l("Au plus %(max)s.")),
)


def translate(message: Any) -> str:
    """A message in the request's language."""
    text = str(message)
    if text in LIBRARY_MESSAGES:
        return str(LIBRARY_MESSAGES[text])
    for pattern, wording in LIBRARY_PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return str(wording) % found.groupdict()
    return text


def flatten_field_errors(messages: Any) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {...}}); clients want {field: [messages]}."""
    if isinstance(messages, dict) and set(messages) <= {
        "json",
        "query",
        "form",
        "files",
        "headers",
    }:
        merged: dict[str, Any] = {}
        for part in messages.values():
            merged.update(part if isinstance(part, dict) else {"_schema": part})
        messages = merged
    if not isinstance(messages, dict):
        messages = {"_schema": messages}
    return {field: _translate_all(value) for field, value in messages.items()}


def _translate_all(value: Any) -> list[Any]:
    if isinstance(value, dict):  # nested schemas or list indexes
        return [{str(key): _translate_all(inner) for key, inner in value.items()}]
    if isinstance(value, (list, tuple)):
        return [translate(item) for item in value]
    return [translate(value)]


def error_response(
    status: int,
    message: Any = None,
    errors: dict[str, list[Any]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response:
    """Build the one error payload every service answers with (a page for browsers, if any)."""
    html_page = _html_error_page()
    if html_page is not None:
        text = translate(message if message is not None else STATUS_MESSAGES.get(status, ""))
        response = html_page(status, text, flatten_field_errors(errors or {}), headers or {})
        response.status_code = status
        return response
    return json_error_response(status, message, errors, headers, code)


def json_error_response(
    status: int,
    message: Any = None,
    errors: dict[str, list[Any]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response:
    """The one error payload as JSON, also for a page's script that asked for JSON."""
    payload: dict[str, Any] = {
        "code": code or HTTPStatus(status).name.lower(),
        "status": status,
        "message": translate(message if message is not None else STATUS_MESSAGES.get(status, "")),
    }
    if errors:
        payload["errors"] = flatten_field_errors(errors)
    response = jsonify(payload)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug and webargs errors in the shared shape."""
    data = getattr(error, "data", None) or {}
    status = error.code or 500
    message = data.get("message") or STATUS_MESSAGES.get(status) or error.description
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_headers():
        headers.update({k: v for k, v in error.get_headers() if k == "Allow"})
    return error_response(status, message, data.get("messages") or data.get("errors"), headers)


def handle_domain_error(error: DomainError) -> Response:
    """A refused rule: its status, code, message and field errors."""
    db.session.rollback()
    return error_response(error.status, error.message, error.errors, error.headers, error.code)


def handle_database_error(error: DBAPIError) -> Response:
    """A lock wait or an unreachable database is a retryable 503, never a 500."""
    db.session.rollback()
    if is_lock_timeout(error) or error.connection_invalidated or _is_operational(error):
        log.warning("database unavailable: %s", error.orig.__class__.__name__)
        return error_response(503, headers={"Retry-After": RETRY_AFTER_S}, code="busy")
    raise error


def _is_operational(error: DBAPIError) -> bool:
    return error.orig.__class__.__name__ in {"OperationalError", "InterfaceError"}


def _html_error_page() -> HtmlErrorPage | None:
    """The app's HTML error page when the request is for a page, not for JSON."""
    render = current_app.extensions.get(_HTML_ERROR_PAGE)
    if render is None or is_api_request():
        return None
    accept = request.accept_mimetypes
    return render if accept["application/json"] <= accept["text/html"] else None


def is_api_request() -> bool:
    """Whether the request is for the JSON API rather than a page."""
    return request.path.startswith(API_PREFIX)


def register_html_error_page(app: Flask, render: HtmlErrorPage) -> None:
    """Answer errors of ``app``'s pages (outside /api/, not asking for JSON) with ``render``."""
    app.extensions[_HTML_ERROR_PAGE] = render


def register_error_handlers(app: Flask) -> None:
    """Answer every error of ``app`` with the shared JSON shape."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(DBAPIError, handle_database_error)
