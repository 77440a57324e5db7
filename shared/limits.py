"""Rate limits, counted in Redis so every process of a service shares them.

When Redis is unreachable the limits are skipped rather than the requests refused: a
registration must not fail because a counter could not be read.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, swallow_errors=True)


def init_limits(app: Flask) -> None:
    """Bind the limiter to ``app`` with its Redis storage."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1})
    app.config.setdefault("RATELIMIT_ENABLED", app.config["RATE_LIMITS_ENABLED"])
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"atelier-limits-{app.name}")
    limiter.init_app(app)
    # Every limit here is a view decorator's, and a decorated view checks its own limit: the
    # check flask-limiter also runs before every request would only find none, at a cost
    # every feed and API call pays.
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:
        checks.remove(limiter._check_request_limit)


def registration_limit() -> str:
    """Registrations per client address (an office may register a whole team)."""
    return current_app.config["RATE_LIMIT_REGISTRATION"]


def token_lookup_limit() -> str:
    """Look-ups of manage and calendar tokens per client address: guessing one is hopeless,
    and this keeps trying expensive."""
    return current_app.config["RATE_LIMIT_TOKEN_LOOKUP"]
