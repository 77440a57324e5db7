"""Pages of the collections that grow with history, by cursor: a query ordered by a key
(ending with a unique id) is read from just after the key its cursor holds, one row more than
asked telling whether another page follows. The cursor is opaque to clients: the key's values
as JSON in URL-safe base64. An API answer stays a JSON array; the next page is named in a
``Link`` header (rel="next") and in the ``next`` field of ``X-Pagination``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from shared.database import MAX_ROW_ID

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# A cursor holds a few dates and ids: anything longer is not one of ours.
CURSOR_MAX_LENGTH = 200
KEY_TYPES = (datetime, int, str)
BAD_CURSOR = _l("Ce curseur n'est pas valide : reprenez le lien de la page précédente.")


class Cursor(fields.Field):
    """An opaque cursor holding one value of each of ``types``, in order."""

    def __init__(self, *types: type, description: str = "", **kwargs: Any) -> None:
        about = {"type": "string", "maxLength": CURSOR_MAX_LENGTH, "description": description}
        super().__init__(metadata=about, load_default=None, **kwargs)
        self.types = types

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple:
        if not isinstance(value, str) or len(value) > CURSOR_MAX_LENGTH:
            raise ValidationError(str(BAD_CURSOR))
        try:
            decoded = json.loads(base64.urlsafe_b64decode(value.encode("ascii") + b"=="))
            return tuple(_typed(kind, part) for kind, part in zip(self.types, decoded, strict=True))
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            raise ValidationError(str(BAD_CURSOR)) from None


def _typed(kind: type, value: Any) -> Any:
    """A key value read back from JSON; anything of another type is refused."""
    if kind is datetime and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if kind is int and type(value) is int and abs(value) <= MAX_ROW_ID:
        return value
    if kind is str and isinstance(value, str):
        return value
    raise ValueError(value)


def encode_cursor(values: Sequence[Any]) -> str:
    """The cursor of a key: its values as JSON in URL-safe base64, unpadded."""
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    text = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).rstrip(b"=").decode("ascii")


class PageArgsSchema(Schema):
    """How many rows a page holds; a subclass declares its ``cursor = Cursor(...)``."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Rows per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})"},
    )


@dataclass(frozen=True)
class Keyset:
    """The order of a collection: columns ending with a unique one, all one way."""

    columns: tuple[ColumnElement[Any], ...]
    descending: bool = False

    def order_by(self) -> list[ColumnElement[Any]]:
        """The ORDER BY clauses."""
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """Rows strictly after the key ``values`` in this order."""
        clauses = []
        for n, column in enumerate(self.columns):
            beyond = column < values[n] if self.descending else column > values[n]
            equal = [self.columns[i] == values[i] for i in range(n)]
            clauses.append(and_(*equal, beyond))
        return or_(*clauses)


@dataclass(frozen=True)
class Page(Generic[T]):
    """The rows of one page and the cursor of the next, None on the last."""

    items: list[T]
    next: str | None


def page_of(
    session: Session, query: Select[Any], keyset: Keyset, *, limit: int, cursor: tuple | None
) -> Page[Any]:
    """One page of ``query`` (selecting one entity) in ``keyset``'s order, after ``cursor``."""
    query = query.add_columns(*keyset.columns).order_by(*keyset.order_by())
    if cursor is not None:
        query = query.where(keyset.after(cursor))
    rows = session.execute(query.limit(limit + 1)).all()
    following = encode_cursor(tuple(rows[limit - 1])[1:]) if len(rows) > limit else None
    return Page([row[0] for row in rows[:limit]], following)


def next_url(page: Page[Any], endpoint: str | None = None, **path: Any) -> str | None:
    """This request's address (``path`` changing its path's arguments) for the page after
    ``page``, or None on the last page; ``endpoint``'s instead for a page another route shows
    too (a form's, when it refuses what it was sent)."""
    if page.next is None:
        return None
    own = (request.view_args or {}) if endpoint is None else {}
    arguments = {**request.args.to_dict(), **own, **path}
    return url_for(endpoint or str(request.endpoint), **{**arguments, "cursor": page.next})


def paged(page: Page[T]) -> tuple[list[T], int, dict[str, str]]:
    """An API view's answer: the page's rows, and where the next page is in its headers."""
    return page.items, 200, page_headers(page)


def page_headers(page: Page[Any]) -> dict[str, str]:
    """Where the page after ``page`` is, as a paged API answer's headers say."""
    headers = {"X-Pagination": json.dumps({"next": page.next})}
    following = next_url(page)
    if following is not None:
        headers["Link"] = f'<{following}>; rel="next"'
    return headers


# How a paged API operation documents its headers (flask-smorest's ``headers``).
PAGE_HEADERS = {
    "Link": {
        "description": 'The next page\'s address, rel="next"; absent on the last page',
        "schema": {"type": "string"},
    },
    "X-Pagination": {
        "description": 'JSON: {"next": the cursor of the next page, or null on the last}',
        "schema": {"type": "string"},
    },
}
