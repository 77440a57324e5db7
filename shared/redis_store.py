"""One Redis client per app, with short timeouts so a down Redis never stalls a request."""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis


def init_redis(app: Flask) -> Redis:
    """Create the app's Redis client from REDIS_URL."""
    client = Redis.from_url(app.config["REDIS_URL"], socket_timeout=1.0, socket_connect_timeout=1.0)
    app.extensions["redis"] = client
    return client


def redis_client() -> Redis:
    """The current app's Redis client."""
    return current_app.extensions["redis"]
