"""The planning as the API reads its filters and answers its dates."""

from __future__ import annotations

from marshmallow import Schema, fields

from services.registration.fields import SLUG, LocalDateTime, row_id
from services.registration.organiser.schemas.places import ConflictQuerySchema
from shared.domain.attendance import is_held


class PlanningQuerySchema(ConflictQuerySchema):
    town = fields.String(validate=SLUG)
    venue = row_id()
    trainer = row_id()
    event = fields.String(validate=SLUG)


class PlannedDateSchema(Schema):
    id = fields.Integer(attribute="date.id")
    start = LocalDateTime(attribute="date.starts_at")
    end = LocalDateTime(attribute="date.ends_at")
    cancelled = fields.Function(lambda row: not is_held(row.date))
    event = fields.String(attribute="date.group.event.slug")
    event_title = fields.Function(lambda row: row.date.group.event.title)
    group = fields.String(attribute="date.group.slug")
    group_name = fields.String(attribute="date.group.name")
    town = fields.String(attribute="date.group.town")
    venue = fields.String(attribute="date.group.venue_name")
    room = fields.Function(lambda row: row.date.group.room.name if row.date.group.room else None)
    trainers = fields.Function(lambda row: [t.name for t in row.date.group.trainers])
    places_taken = fields.Integer(attribute="taken")
    capacity = fields.Integer(attribute="date.group.capacity", allow_none=True)
    waiting_list = fields.Integer(attribute="waiting")
    presence_to_record = fields.Integer(allow_none=True)
    clashes = fields.List(fields.String())
