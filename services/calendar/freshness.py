"""How recently a feed's fingerprint was read: a burst of requests costs one query.

A subscribed calendar polls every few hours and is told it may keep a feed for
``MAX_AGE_S``; reading the fingerprint again at most once a second per process keeps an
edit visible within that second while a busy feed costs no database work per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from flask import Flask, current_app

T = TypeVar("T")
MAX_ENTRIES = 4096


class RecentReads(Generic[T]):
    """Values read less than ``window_s`` ago, by key."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, key: str, read: Callable[[], T]) -> T:
        """The value read for ``key`` within the window, or a fresh ``read()``."""
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.window_s:
            return entry[1]
        value = read()
        if self.window_s > 0:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def trusted_until(self, key: str) -> float | None:
        """Until when (on ``clock``) the value read for ``key`` is trusted, if one is."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0] + self.window_s


def init_recent_reads(app: Flask) -> None:
    """Give ``app`` its memory of recent fingerprints (CALENDAR_RECHECK_S, default 1 s)."""
    app.extensions["recent_fingerprints"] = RecentReads(float(app.config["CALENDAR_RECHECK_S"]))


def recent_fingerprints() -> RecentReads[object]:
    """The current app's memory of recent fingerprints."""
    return current_app.extensions["recent_fingerprints"]
