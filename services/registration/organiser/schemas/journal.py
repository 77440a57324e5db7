"""The journal as the API reads and answers it, a page at a time."""

from __future__ import annotations

from marshmallow import (
    Schema,
    fields,
    validate,
)

from services.registration.accounts.schemas import TeamMemberSchema
from services.registration.audit import JOURNAL_PAGE, action_label
from services.registration.fields import (
    LocalDateTime,
    row_id,
)


class JournalQuerySchema(Schema):
    before = row_id(metadata={"description": "Entries older than this one (the page's `older`)"})
    limit = fields.Integer(load_default=JOURNAL_PAGE, validate=validate.Range(min=1, max=200))


class JournalRegistrationSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="full_name")
    group = fields.Function(lambda r: r.group.slug)


class JournalEntrySchema(Schema):
    id = fields.Integer()
    at = LocalDateTime(attribute="created_at")
    action = fields.String()
    label = fields.Function(lambda entry: action_label(entry.action))
    event = fields.Function(lambda entry: entry.event.slug if entry.event else None)
    by = fields.Nested(TeamMemberSchema, attribute="organiser", allow_none=True)
    registration = fields.Nested(JournalRegistrationSchema, allow_none=True)
    details = fields.Dict()


class JournalSchema(Schema):
    entries = fields.List(fields.Nested(JournalEntrySchema))
    older = fields.Integer(
        allow_none=True, metadata={"description": "Pass as `before` for the next, older page"}
    )
