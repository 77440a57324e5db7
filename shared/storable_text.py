"""Text no database can store never reaches one.

PostgreSQL refuses a NUL character in any text, even in a query's parameter, and no UTF-8
database takes a lone surrogate (which JSON's ``\\ud800`` escapes can produce). Such text in
a path names nothing (404); in a query string, a form or a JSON body it is refused with a
message for each field (422), before any view reads it, whatever service or page it is for.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.routing import UnicodeConverter, ValidationError

UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
REFUSAL = _l("Les caractères de contrôle ne sont pas acceptés.")


class StorableTextConverter(UnicodeConverter):
    """``<…>`` in every route: a segment with unstorable text matches no route."""

    def to_python(self, value: str) -> str:
        """The segment as it is, unless no database could look it up."""
        if UNSTORABLE.search(value):
            raise ValidationError()
        return value


def contains_unstorable(value: Any) -> bool:
    """Whether a submitted value, or anything nested in it, holds unstorable text."""
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(contains_unstorable(k) or contains_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_unstorable(item) for item in value)
    return False


def refuse_unstorable_input() -> None:
    """Refuse the request when its query string, form or JSON body holds unstorable text."""
    wsgi_environ = request.environ
    query = wsgi_environ.get("QUERY_STRING", "")
    has_body = bool(request.content_length or wsgi_environ.get("HTTP_TRANSFER_ENCODING"))
    if not (has_body or query):
        return  # nothing submitted: most requests (feeds, pages, probes) are plain GETs
    submitted: list[tuple[str, Any]] = []
    # Werkzeug decodes the query from UTF-8 and leaves invalid bytes percent-encoded, so only
    # an encoded NUL makes unstorable text of it.
    if "%00" in query or "\x00" in query:
        submitted += request.args.items(multi=True)
    if has_body:
        submitted += _body_fields()
    refused = {
        field
        for field, value in submitted
        if contains_unstorable(field) or contains_unstorable(value)
    }
    if refused:
        # The shape and code of the schemas' own field errors: to a client it is one more.
        error = UnprocessableEntity()
        error.data = {"messages": {field: [REFUSAL] for field in sorted(refused)}}
        raise error


def _body_fields() -> list[tuple[str, Any]]:
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return list(request.form.items(multi=True))
    # A body that is not JSON is refused later, by the view's own parser, with its 400.
    if not request.is_json or _plainly_storable(request.get_data(cache=True)):
        return []
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return list(body.items())
    return [] if body is None else [("_schema", body)]


def _plainly_storable(body: bytes) -> bool:
    """Whether a JSON body's bytes alone show that it holds no unstorable text, so that a
    large one (a door's queue of marks) is not walked value by value.

    A JSON string holds NUL only from a NUL byte or a ``\\u`` escape, and a lone surrogate
    only from an escape or from the bytes \\xed\\xa0-\\xbf, which UTF-8 refuses but JSON's
    reader of bytes lets through. A body in UTF-16 or UTF-32 holds NUL bytes.
    """
    return b"\\u" not in body and b"\x00" not in body and b"\xed" not in body


def init_storable_text(app: Flask) -> None:
    """Keep unstorable text out of ``app``'s routes, forms, query strings and JSON bodies."""
    app.url_map.converters["default"] = StorableTextConverter
    app.url_map.converters["string"] = StorableTextConverter
    app.before_request(refuse_unstorable_input)
