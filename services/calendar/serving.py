"""Answer a feed request as subscribing calendars expect: cached bytes, a strong ETag,
Last-Modified, 304 when the client's copy is current, and a sensible Cache-Control."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from flask import Response, request
from sqlalchemy.orm import Session
from werkzeug.http import http_date

from services.calendar.answers import keep_answer
from services.calendar.cache import BuiltFeed, FeedCache, feed_cache
from services.calendar.freshness import recent_fingerprints
from services.calendar.operations import FeedContext, Fingerprint, PublicFeed
from shared.app import ApiBlueprint
from shared.database import db, utcnow
from shared.errors_http import ErrorSchema
from shared.i18n import LANGUAGES, select_language
from shared.links import calendar_address
from shared.tokens import digest

CONTENT_TYPE = "text/calendar; charset=utf-8"
MAX_AGE_S = 900
LANGUAGE_PARAMETER = {
    "in": "query",
    "name": "lang",
    "schema": {"type": "string", "enum": list(LANGUAGES)},
    "description": "The feed's language; otherwise the request's",
}

View = TypeVar("View")


class Buildable(Protocol):
    """A feed: a cache key and a way to build its bytes."""

    @property
    def key(self) -> str:
        """Where the feed's bytes are cached."""
        ...

    def build(self, session: Session, context: FeedContext) -> bytes:
        """The feed's iCalendar bytes, read from the database."""
        ...


@dataclass(frozen=True)
class FeedFile:
    """How a feed is handed out as a file: its name, who may cache it, whether it is saved."""

    filename: str
    private: bool = False
    attachment: bool = False

    def headers(
        self, etag: str, last_modified: datetime, *, content: bool
    ) -> tuple[tuple[str, str], ...]:
        """The validators and caching headers of every answer, and the content's for a 200."""
        return _headers(self, etag, last_modified, content)


@lru_cache(maxsize=1024)
def _headers(
    feed_file: FeedFile, etag: str, last_modified: datetime, content: bool
) -> tuple[tuple[str, str], ...]:
    # Worded once per version of a feed: a busy feed answers from this and its bytes.
    headers = [
        ("ETag", f'"{etag}"'),
        ("Last-Modified", http_date(last_modified)),
        ("Cache-Control", f"{'private' if feed_file.private else 'public'}, max-age={MAX_AGE_S}"),
    ]
    if not feed_file.private:
        # Without ?lang= the language comes from these headers.
        headers.append(("Vary", "Accept-Language, Cookie"))
    if content:
        disposition = "attachment" if feed_file.attachment else "inline"
        headers.append(("Content-Type", CONTENT_TYPE))
        headers.append(("Content-Disposition", f'{disposition}; filename="{feed_file.filename}"'))
        headers.append(("X-Content-Type-Options", "nosniff"))
    return tuple(headers)


def documented_feed(bp: ApiBlueprint, *errors: tuple[int, str]) -> Callable[[View], View]:
    """Document a feed view in the OpenAPI: the iCalendar file, 304 when the client's copy is
    current, and ``errors`` (status, description) in the one JSON error shape.

    Only documented: flask-smorest's response decorators would wrap the view in a layer
    each, paid by every request of a busy feed.
    """
    responses: dict[int, dict[str, Any]] = {
        200: {
            "description": "iCalendar",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        304: {"description": "The client's copy is current"},
    }
    for status, description in errors:
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": ErrorSchema}},
        }
    return bp.doc(parameters=[LANGUAGE_PARAMETER], responses=responses)


def serve_feed(
    feed: Buildable, fingerprint: Fingerprint, language: str, feed_file: FeedFile, now: datetime
) -> Response:
    """The feed, from the cache when its data has not changed, or 304 when the client's is."""
    cache = feed_cache()
    key = FeedCache.key(feed.key, language, fingerprint.version)
    last_modified = fingerprint.last_modified.replace(microsecond=0)
    if request.if_none_match or request.if_modified_since:
        etag = cache.etag(key)
        if etag is not None and _client_is_current(etag, last_modified):
            return _not_modified(feed_file.headers(etag, last_modified, content=False))
    built = cache.load(key)
    if built is None:
        built = BuiltFeed.of(feed.build(db.session, _context(language, now)))
        cache.store(key, built)
    if _client_is_current(built.etag, last_modified):
        return _not_modified(feed_file.headers(built.etag, last_modified, content=False))
    return Response(built.body, headers=feed_file.headers(built.etag, last_modified, content=True))


def serve_public_feed(feed: PublicFeed, feed_file: FeedFile) -> Response:
    """A public feed in the request's language."""
    now = utcnow()
    reads = recent_fingerprints()
    fingerprint = reads.get(feed.key, lambda: feed.fingerprint(db.session, now))
    # The language's code is all a cached answer needs: no Babel locale is set up for it.
    response = serve_feed(feed, fingerprint, select_language(), feed_file, now)
    trusted_until = reads.trusted_until(feed.key)
    if trusted_until is not None:
        # The same request gets the same answer as long as the data is not read again.
        keep_answer(trusted_until)
    return response


class TokenFeed(Buildable, Protocol):
    """A feed a token opened: what to build, in which language, at which version."""

    language: str
    fingerprint: Fingerprint


def serve_token_feed(
    kind: str,
    token: str,
    open_feed: Callable[[Session, str, str | None, datetime], TokenFeed],
    filename: str,
) -> Response:
    """The feed ``token`` opens, in the language asked for (``?lang=``) or its holder's; 404
    for an unknown token, 410 for a replaced one."""
    now = utcnow()
    requested = request.args.get("lang")
    language = requested if requested in LANGUAGES else None
    # Remembered by the token's digest: the token itself is kept nowhere.
    feed = recent_fingerprints().get(
        f"{kind}:{digest(token)}:{language}", lambda: open_feed(db.session, token, language, now)
    )
    feed_file = FeedFile(filename, private=True)
    return serve_feed(feed, feed.fingerprint, feed.language, feed_file, now)


def _context(language: str, now: datetime) -> FeedContext:
    return FeedContext(
        language=language, source=calendar_address(request.path, lang=language), now=now
    )


def _client_is_current(etag: str, last_modified: datetime) -> bool:
    # If-None-Match, when sent, decides alone (RFC 9110, 13.2.2).
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified <= since


def _not_modified(headers: tuple[tuple[str, str], ...]) -> Response:
    return Response(status=304, headers=headers)
