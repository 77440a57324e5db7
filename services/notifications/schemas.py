"""Every input and output of the delivery log API, with all of its validation."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.models import DeliveryStatus
from shared.paging import Cursor, PageArgsSchema


class MessageQueryArgsSchema(PageArgsSchema):
    cursor = Cursor(int, description="The previous page's `next`: the page after it")
    status = fields.Enum(DeliveryStatus, by_value=True)
    event = fields.String(validate=validate.Length(min=1, max=80))
    recipient = fields.String(validate=validate.Length(min=1, max=254))


class EmailMessageSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    event_id = fields.Integer(dump_only=True, allow_none=True)
    registration_id = fields.Integer(dump_only=True, allow_none=True)
    recipient = fields.String(dump_only=True)
    language = fields.String(dump_only=True)
    subject = fields.String(dump_only=True, allow_none=True)
    status = fields.Enum(DeliveryStatus, by_value=True, dump_only=True)
    attempts = fields.Integer(dump_only=True)
    last_error = fields.String(dump_only=True, allow_none=True)
    message_id = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)
    sent_at = fields.AwareDateTime(dump_only=True, allow_none=True)
