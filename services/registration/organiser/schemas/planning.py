"""The planning as the API reads its filters and answers its dates."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from services.registration.fields import SLUG, LocalDateTime, local_iso, row_id
from services.registration.organiser.planning import PlannedDate
from services.registration.organiser.schemas.places import ConflictQuerySchema


class PlanningQuerySchema(ConflictQuerySchema):
    town = fields.String(validate=SLUG)
    venue = row_id()
    trainer = row_id()
    event = fields.String(validate=SLUG)


class PlannedDateSchema(Schema):
    """One date of the planning, as documented; :func:`planned_date_json` writes it."""

    id = fields.Integer()
    start = LocalDateTime()
    end = LocalDateTime()
    cancelled = fields.Boolean()
    event = fields.String()
    event_title = fields.Dict(keys=fields.String(), values=fields.String())
    group = fields.String()
    group_name = fields.String()
    town = fields.String()
    venue = fields.String()
    room = fields.String(allow_none=True)
    trainers = fields.List(fields.String())
    places_taken = fields.Integer()
    capacity = fields.Integer(allow_none=True)
    waiting_list = fields.Integer()
    presence_to_record = fields.Integer(allow_none=True)
    clashes = fields.List(fields.String())


def planned_date_json(row: PlannedDate) -> dict[str, Any]:
    """A date of the planning as :class:`PlannedDateSchema` documents it, written directly:
    a month holds hundreds of dates, and dumping each field through marshmallow cost more
    than reading them."""
    return {
        "id": row.id,
        "start": local_iso(row.starts_at),
        "end": local_iso(row.ends_at),
        "cancelled": not row.held,
        "event": row.event,
        "event_title": row.event_title,
        "group": row.group,
        "group_name": row.group_name,
        "town": row.town,
        "venue": row.venue,
        "room": row.room,
        "trainers": row.trainers,
        "places_taken": row.taken,
        "capacity": row.capacity,
        "waiting_list": row.waiting,
        "presence_to_record": row.presence_to_record,
        "clashes": row.clashes,
    }
