"""``GET /healthz``: is the service's database and Redis reachable?"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from shared.database import db
from shared.redis_store import redis_client

bp = Blueprint("health", __name__)
# Probed every few seconds by each orchestrator: the answer never changes, so it is written once.
ALIVE = b'{"status":"ok"}\n'


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report each dependency; 503 when one is down."""
    checks = {"database": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        checks["database"] = "unavailable"
    finally:
        db.session.rollback()
    try:
        redis_client().ping()
    except RedisError:
        checks["redis"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503


@bp.get("/livez")
def livez() -> Response:
    """The process answers; nothing else is checked (a liveness probe)."""
    return Response(ALIVE, mimetype="application/json")
