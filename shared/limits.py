"""Rate limits, counted in Redis so every process of a service shares them.

When Redis is unreachable the limits are skipped rather than the requests refused: a
registration must not fail because a counter could not be read. Attempts at passwords and
codes are counted apart, and refused when they cannot be counted
(services.registration.accounts.throttle).
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app
from flask.globals import request_ctx
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, swallow_errors=True)


def init_limits(app: Flask) -> None:
    """Bind the limiter to ``app`` with its Redis storage."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1})
    app.config.setdefault("RATELIMIT_ENABLED", app.config["RATE_LIMITS_ENABLED"])
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"atelier-limits-{app.name}")
    # flask-limiter hooks into every request of an app it has not seen: a check before it,
    # headers after it, a reset at its end. Every limit here is a view decorator's, which
    # checks its own limit; so the check would only find none, and the other two have work
    # only where a limit was checked. Shown the app as seen, it adds none of them, and the
    # two that matter run below, on those requests alone.
    app.extensions.setdefault("limiter", set()).add(limiter)
    limiter.init_app(app)
    app.after_request(_add_limit_headers)
    app.teardown_request(_end_limit_context)


def _add_limit_headers(response: Response) -> Response:
    if not _limit_checked():
        return response
    return limiter._Limiter__inject_headers(response)  # type: ignore[attr-defined]


def _end_limit_context(error: BaseException | None) -> None:
    if _limit_checked():
        limiter._Limiter__release_context(error)  # type: ignore[attr-defined]


def _limit_checked() -> bool:
    # Where flask-limiter keeps what a request's checks found (see Limiter.context).
    return hasattr(request_ctx, "_limiter_request_context")


def registration_limit() -> str:
    """Registrations per client address (an office may register a whole team)."""
    return current_app.config["RATE_LIMIT_REGISTRATION"]


def token_lookup_limit() -> str:
    """Look-ups of manage and calendar tokens per client address: guessing one is hopeless,
    and this keeps trying expensive."""
    return current_app.config["RATE_LIMIT_TOKEN_LOOKUP"]


def organiser_message_limit() -> str:
    """Messages to participants an organiser may send or schedule."""
    return current_app.config["RATE_LIMIT_ORGANISER_MESSAGES"]


def spend(limit: str, key: str) -> int | None:
    """Count one use of ``limit`` for ``key``; None if allowed, else the seconds until it
    is again. Uncounted (allowed) when Redis cannot be reached or limits are off."""
    if not current_app.config["RATE_LIMITS_ENABLED"]:
        return None
    item = parse(limit)
    key = f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}/{key}"
    try:
        if limiter.limiter.hit(item, key):
            return None
        reset_at, _remaining = limiter.limiter.get_window_stats(item, key)
    except Exception:  # a counter that cannot be read never refuses
        return None
    return max(1, int(reset_at - time.time()) + 1)
