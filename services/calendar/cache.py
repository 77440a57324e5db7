"""Built feeds kept in Redis under their data's version, with the busiest ones also in the
process's memory; the database answers when Redis fails.

A key names a feed, its language and the fingerprint of its data, so an edit leads to a new
key (never a stale feed) and unchanged data to the same one (never a rebuild per request).
Old keys simply expire.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
T = TypeVar("T")

KEY_PREFIX = "calendar:feed:v1:"
TIME_TO_LIVE_S = 24 * 3600
LOCAL_MAX_BYTES = 32 * 1024 * 1024
LOCAL_MAX_TAGS = 16_384
# After a failure Redis is left alone for a while: a hung server must not add its
# socket timeout to every request.
PAUSE_AFTER_FAILURE_S = 10.0


@dataclass(frozen=True)
class BuiltFeed:
    """A feed's bytes and their strong entity tag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> BuiltFeed:
        """Tag ``body`` with a digest of its bytes."""
        return cls(body, hashlib.sha256(body).hexdigest()[:40])


class LocalFeeds:
    """The most recently used built feeds of this process, within a memory budget."""

    def __init__(self, max_bytes: int = LOCAL_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._feeds: OrderedDict[str, BuiltFeed] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> BuiltFeed | None:
        """The feed kept under ``key``, if any."""
        with self._lock:
            feed = self._feeds.get(key)
            if feed is not None:
                self._feeds.move_to_end(key)
            return feed

    def put(self, key: str, feed: BuiltFeed) -> None:
        """Keep ``feed``, forgetting the least recently used ones beyond the budget."""
        with self._lock:
            previous = self._feeds.pop(key, None)
            if previous is not None:
                self._size -= len(previous.body)
            self._feeds[key] = feed
            self._size += len(feed.body)
            while self._size > self.max_bytes and len(self._feeds) > 1:
                _key, dropped = self._feeds.popitem(last=False)
                self._size -= len(dropped.body)


class FeedCache:
    """Read and write built feeds in memory and Redis, tolerating Redis's absence."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self.local = LocalFeeds()
        self.etags: dict[str, str] = {}
        self.paused_until = 0.0

    @staticmethod
    def key(feed_key: str, language: str, version: str) -> str:
        """The key of one version of one feed in one language."""
        return f"{KEY_PREFIX}{feed_key}:{language}:{version}"

    def etag(self, key: str) -> str | None:
        """The cached feed's entity tag, without fetching its body from Redis."""
        feed = self.local.get(key)
        if feed is not None:
            return feed.etag
        etag = self.etags.get(key)
        if etag is None:
            value = self._call(lambda: self.client.hget(key, "etag"))
            if value:
                # A key names one version of a feed, so its tag never changes: a calendar
                # polling a feed this process has not served costs Redis one look-up.
                etag = self.etags[key] = value.decode()
                if len(self.etags) > LOCAL_MAX_TAGS:
                    self.etags.clear()
        return etag

    def load(self, key: str) -> BuiltFeed | None:
        """The cached feed, if any."""
        feed = self.local.get(key)
        if feed is not None:
            return feed
        values = self._call(lambda: self.client.hmget(key, "etag", "body"))
        if not values or values[0] is None or values[1] is None:
            return None
        feed = BuiltFeed(values[1], values[0].decode())
        self.local.put(key, feed)
        return feed

    def store(self, key: str, feed: BuiltFeed) -> None:
        """Keep ``feed`` for the next requests of every process."""
        self.local.put(key, feed)

        def write() -> None:
            pipeline = self.client.pipeline()
            pipeline.hset(key, mapping={"etag": feed.etag, "body": feed.body})
            pipeline.expire(key, TIME_TO_LIVE_S)
            pipeline.execute()

        self._call(write)

    def _call(self, operation: Callable[[], T]) -> T | None:
        if time.monotonic() < self.paused_until:
            return None
        try:
            return operation()
        except RedisError as error:
            log.warning("feed cache unavailable, serving from the database: %s", error)
            self.paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            return None


def init_feed_cache(app: Flask) -> FeedCache:
    """Attach the feed cache to ``app``, on the app's Redis client."""
    cache = FeedCache(app.extensions["redis"])
    app.extensions["feed_cache"] = cache
    return cache


def feed_cache() -> FeedCache:
    """The current app's feed cache."""
    return current_app.extensions["feed_cache"]
