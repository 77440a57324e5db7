"""Answer a feed request as subscribing calendars expect: cached bytes, a strong ETag,
Last-Modified, 304 when the client's copy is current, and a sensible Cache-Control."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import Response, current_app, request
from sqlalchemy.orm import Session

from services.calendar.cache import BuiltFeed, FeedCache, feed_cache
from services.calendar.operations import FeedContext, Fingerprint, PublicFeed
from shared.database import db, utcnow
from shared.i18n import current_language

CONTENT_TYPE = "text/calendar; charset=utf-8"
MAX_AGE_S = 900


class Buildable(Protocol):
    """A feed: a cache key and a way to build its bytes."""

    @property
    def key(self) -> str: ...

    def build(self, session: Session, context: FeedContext) -> bytes: ...


@dataclass(frozen=True)
class Delivery:
    """How a feed is handed out: who may cache it and how it is saved."""

    filename: str
    private: bool = False
    attachment: bool = False

    def headers(self, etag: str, last_modified: datetime) -> dict[str, str]:
        """The validators and caching headers of every answer, 200 or 304."""
        headers = {
            "ETag": f'"{etag}"',
            "Cache-Control": f"{'private' if self.private else 'public'}, max-age={MAX_AGE_S}",
        }
        if not self.private:
            # Without ?lang= the language comes from these headers.
            headers["Vary"] = "Accept-Language, Cookie"
        response = Response()
        response.last_modified = last_modified
        headers["Last-Modified"] = response.headers["Last-Modified"]
        return headers


def serve_feed(
    feed: Buildable, fingerprint: Fingerprint, language: str, delivery: Delivery, now: datetime
) -> Response:
    """The feed, from the cache when its data has not changed, or 304 when the client's is."""
    cache = feed_cache()
    key = FeedCache.key(feed.key, language, fingerprint.version)
    last_modified = fingerprint.last_modified.replace(microsecond=0)
    if request.if_none_match or request.if_modified_since:
        etag = cache.etag(key)
        if etag is not None and _client_is_current(etag, last_modified):
            return _not_modified(delivery.headers(etag, last_modified))
    built = cache.load(key)
    if built is None:
        built = BuiltFeed.of(feed.build(db.session, _context(language, now)))
        cache.store(key, built)
    headers = delivery.headers(built.etag, last_modified)
    if _client_is_current(built.etag, last_modified):
        return _not_modified(headers)
    disposition = "attachment" if delivery.attachment else "inline"
    headers["Content-Disposition"] = f'{disposition}; filename="{delivery.filename}"'
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(built.body, content_type=CONTENT_TYPE, headers=headers)


def serve_public_feed(feed: PublicFeed, delivery: Delivery) -> Response:
    """A public feed in the request's language."""
    now = utcnow()
    fingerprint = feed.fingerprint(db.session, now)
    return serve_feed(feed, fingerprint, current_language(), delivery, now)


def _context(language: str, now: datetime) -> FeedContext:
    config = current_app.config
    return FeedContext(
        language=language,
        registration_base_url=config["REGISTRATION_BASE_URL"].rstrip("/"),
        source=f"{config['CALENDAR_BASE_URL'].rstrip('/')}{request.path}?lang={language}",
        now=now,
    )


def _client_is_current(etag: str, last_modified: datetime) -> bool:
    # If-None-Match, when sent, decides alone (RFC 9110, 13.2.2).
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified <= since


def _not_modified(headers: dict[str, str]) -> Response:
    return Response(status=304, headers=headers)
