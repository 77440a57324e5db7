"""The floor: the cheapest correct code doing a benchmark's work, served by the same gunicorn.

A yardstick for bench/, not product code (nothing outside bench/ imports it). Plain Flask,
plain SQL through psycopg on one connection per server thread, and a bare LPUSH as the
hand-over to Redis, against the services' own migrated schema:

- ``GET /livez``: a constant, tiny JSON response, the bare trivial response;
- ``POST /api/v1/events/<event>/registrations``: the registration's transaction (the group
  found with its event and dates in one query, locked as the product locks it, counted, the
  registration and its outbox row inserted, committed, the outbox id handed to Redis),
  answering 201 with the registration's id and status.

Served by ``bench.support.served("bench.floor", env)``, which runs ``create_app()`` under the
services' gunicorn settings; it reads DATABASE_URL, REDIS_URL and DATABASE_LOCK_TIMEOUT_MS.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from typing import Any

import psycopg
import redis
from flask import Flask, Response, request
from psycopg.types.json import Json

from shared.domain.registrations import CONSENT_VERSION
from shared.i18n import LANGUAGES
from shared.models import Role

CONSTANT = b'{"status":"ok"}\n'
# The floor's hand-over: a list nobody reads, where the product sends a Celery task.
OUTBOX_QUEUE = "floor:outbox"
ROLES = frozenset(role.value for role in Role)
TEXT_FIELDS = {"first_name": 100, "last_name": 100, "email": 254}
OPTIONAL_FIELDS = {"phone": 40, "organisation": 200}

# Whether registration is open is decided here, with the database's clock, in the one query
# that finds the group: closed when the group is called off, outside the event's window, or
# once its first held date has begun.
FIND_GROUP = """
SELECT g.id, g.event_id, e.attendance_rule,
       g.cancelled_at IS NULL
       AND coalesce(e.registration_opens_at <= now(), true)
       AND coalesce(now() < e.registration_closes_at, true)
       AND coalesce(now() < min(d.starts_at) FILTER (WHERE d.cancelled_at IS NULL), true),
       coalesce(array_agg(d.id) FILTER (WHERE d.id IS NOT NULL AND d.cancelled_at IS NULL), '{}')
FROM groups g
JOIN events e ON e.id = g.event_id
LEFT JOIN session_dates d ON d.group_id = g.id
WHERE e.slug = %s AND g.slug = %s
GROUP BY g.id, e.id
"""
# The capacity is read from the locked row: an organiser may have changed it a moment ago.
LOCK_GROUP = "UPDATE groups SET revision = revision + 1 WHERE id = %s RETURNING capacity"
# A separate statement from the lock: in one statement, the count would read the snapshot
# taken before the lock was granted and miss the registration of the transaction waited for.
COUNT = """
SELECT count(*) FILTER (WHERE status = 'confirmed'),
       coalesce(max(waitlist_position) FILTER (WHERE status = 'waitlisted'), 0)
FROM registrations
WHERE group_id = %s AND status IN ('confirmed', 'waitlisted')
"""
INSERT = """
WITH registration AS (
    INSERT INTO registrations (
        event_id, group_id, session_date_id, first_name, last_name, email, email_normalized,
        phone, organisation, role, language, consent_version, consented_at, status,
        waitlist_position, created_at, updated_at
    ) VALUES (
        %(event_id)s, %(group_id)s, %(date_id)s, %(first_name)s, %(last_name)s, %(email)s,
        %(email_normalized)s, %(phone)s, %(organisation)s, %(role)s, %(language)s,
        %(consent_version)s, now(), %(status)s, %(position)s, now(), now()
    )
    RETURNING id
)
INSERT INTO outbox (kind, event_id, group_id, registration_id, payload, created_at)
SELECT %(status)s, %(event_id)s, %(group_id)s, id, %(payload)s, now() FROM registration
RETURNING registration_id, id
"""
GROUP_FULL = """
INSERT INTO outbox (kind, event_id, group_id, payload, created_at)
VALUES ('group_full', %s, %s, '{}', now())
RETURNING id
"""


def conninfo(database_url: str) -> str:
    """The libpq address of an SQLAlchemy PostgreSQL URL (the driver's name dropped)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", database_url)


def invalid_fields(body: dict[str, Any]) -> list[str]:
    """The names of the registration's fields that are missing or malformed."""
    invalid = [
        name
        for name, longest in TEXT_FIELDS.items()
        if not isinstance(body.get(name), str) or not 0 < len(body[name].strip()) <= longest
    ]
    if "email" not in invalid and "@" not in body["email"]:
        invalid.append("email")
    invalid += [
        name
        for name, longest in OPTIONAL_FIELDS.items()
        if body.get(name) is not None
        and (not isinstance(body[name], str) or len(body[name]) > longest)
    ]
    if body.get("role") not in ROLES:
        invalid.append("role")
    if body.get("language") not in (None, "", *LANGUAGES):
        invalid.append("language")
    if body.get("consent") is not True:
        invalid.append("consent")
    return invalid


def registration_values(body: dict[str, Any], **decided: Any) -> dict[str, Any]:
    """The INSERT's parameters: what the participant sent, tidied, and what was decided."""
    email = body["email"].strip()
    return {
        "first_name": body["first_name"].strip(),
        "last_name": body["last_name"].strip(),
        "email": email,
        "email_normalized": email.lower(),
        "phone": body.get("phone"),
        "organisation": body.get("organisation"),
        "role": body["role"],
        "language": body.get("language") or "fr",
        "consent_version": CONSENT_VERSION,
        **decided,
    }


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A JSON refusal."""
    return Response(json.dumps({"message": message}), status, headers, mimetype="application/json")


def create_app() -> Flask:
    """The floor's WSGI app; connections open lazily, in the worker that uses them."""
    app = Flask(__name__)
    database = conninfo(os.environ.get("DATABASE_URL", ""))
    lock_timeout = f"-c lock_timeout={int(os.environ.get('DATABASE_LOCK_TIMEOUT_MS', '5000'))}"
    queue = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    threads = threading.local()

    def connection() -> psycopg.Connection[tuple[Any, ...]]:
        """This server thread's connection, opened again once the server closed it."""
        current = getattr(threads, "connection", None)
        if current is None or current.closed:
            current = psycopg.connect(database, autocommit=True, options=lock_timeout)
            threads.connection = current
        return current

    @app.get("/livez")
    def constant() -> Response:
        """The bare trivial response."""
        return Response(CONSTANT, mimetype="application/json")

    @app.post("/api/v1/events/<event_slug>/registrations")
    def register(event_slug: str) -> Response | tuple[dict[str, Any], int]:
        """Register for one group: confirmed while places remain, otherwise waitlisted."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "a JSON object is expected")
        invalid = invalid_fields(body)
        if invalid:
            return error(422, f"invalid: {', '.join(invalid)}")
        db = connection()
        try:
            with db.transaction():
                found = db.execute(FIND_GROUP, (event_slug, body.get("group"))).fetchone()
                if found is None:
                    return error(404, "no such event or group")
                group_id, event_id, rule, is_open, held_dates = found
                if rule == "no_registration" or not is_open:
                    return error(409, "registration is closed")
                if rule == "all_dates":
                    date_id = None
                    if body.get("commit_all_dates") is not True:
                        return error(422, "invalid: commit_all_dates")
                else:
                    date_id = body.get("date")
                    if date_id not in held_dates:
                        return error(422, "invalid: date")
                (capacity,) = db.execute(LOCK_GROUP, (group_id,)).fetchone()
                confirmed, last_position = db.execute(COUNT, (group_id,)).fetchone()
                free = None if capacity is None else max(capacity - confirmed, 0)
                status = "waitlisted" if free == 0 else "confirmed"
                position = last_position + 1 if status == "waitlisted" else None
                values = registration_values(
                    body,
                    event_id=event_id,
                    group_id=group_id,
                    date_id=date_id,
                    status=status,
                    position=position,
                    payload=Json({"waitlist_position": position} if position else {}),
                )
                registration_id, outbox_id = db.execute(INSERT, values).fetchone()
                outbox_ids = [outbox_id]
                if free == 1:
                    outbox_ids += db.execute(GROUP_FULL, (event_id, group_id)).fetchone()
        except psycopg.errors.UniqueViolation:
            return error(409, "already registered for this event")
        except psycopg.errors.LockNotAvailable:
            return error(503, "too busy", {"Retry-After": "2"})
        # Once committed, the registration stands: the product, too, leaves rows it could not
        # hand over to its sweep.
        with contextlib.suppress(redis.RedisError):
            queue.lpush(OUTBOX_QUEUE, json.dumps({"outbox_ids": outbox_ids}))
        return {"id": registration_id, "status": status}, 201

    return app
