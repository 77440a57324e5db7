"""Venues with their rooms, trainers with their unavailabilities: what organisers send to
create and change them, and what the API answers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.registration.fields import LANGUAGE, EmailAddress, LocalDateTime, bounded_text
from services.registration.organiser.schemas.base import BrusselsDateTime, FormSchema, texts

MAX_ROOM_CAPACITY = 10_000


class VenueInputSchema(FormSchema):
    name = bounded_text(200, required=True)
    street_address = bounded_text(200, required=True)
    postcode = bounded_text(20, required=True)
    town = bounded_text(120, required=True)
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    access_notes = texts(2000, lines=True)


class RoomInputSchema(FormSchema):
    name = bounded_text(200, required=True)
    capacity = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=MAX_ROOM_CAPACITY)
    )


class TrainerInputSchema(FormSchema):
    name = bounded_text(200, required=True)
    email = EmailAddress(required=True)
    phone = bounded_text(40)
    languages = fields.List(fields.String(validate=LANGUAGE))


class TrainerFeedInputSchema(FormSchema):
    # A new link stops the old one (shared, lost); without it the trainer gets theirs again.
    renew = fields.Boolean(load_default=True)


class TrainerFeedSchema(Schema):
    trainer = fields.Integer()
    renewed = fields.Boolean()
    sent_to = fields.String()


class UnavailabilityInputSchema(FormSchema):
    start = BrusselsDateTime(required=True)
    end = BrusselsDateTime(required=True)
    note = bounded_text(500)


# Changes name only what they change: read with partial=True.
class VenueUpdateSchema(VenueInputSchema):
    pass


class RoomUpdateSchema(RoomInputSchema):
    pass


class TrainerUpdateSchema(TrainerInputSchema):
    pass


class OrganiserRoomSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    capacity = fields.Integer(allow_none=True)


class OrganiserVenueSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    street_address = fields.String()
    postcode = fields.String()
    town = fields.String()
    town_slug = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    access_notes = fields.Dict()
    rooms = fields.List(fields.Nested(OrganiserRoomSchema))


class OrganiserUnavailabilitySchema(Schema):
    id = fields.Integer()
    start = LocalDateTime(attribute="starts_at")
    end = LocalDateTime(attribute="ends_at")
    note = fields.String()


class OrganiserTrainerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    phone = fields.String()
    languages = fields.List(fields.String())
    unavailabilities = fields.List(fields.Nested(OrganiserUnavailabilitySchema))


# The longest span of dates one request of the conflicts lists.
LONGEST_CONFLICT_SPAN_DAYS = 400


class ConflictQuerySchema(Schema):
    since = fields.Date(required=True, data_key="from")
    until = fields.Date(required=True, data_key="to")

    @validates_schema
    def a_span(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """``to`` does not come before ``from``, and the span is bounded."""
        if "since" not in data or "until" not in data:
            return
        if data["until"] < data["since"]:
            raise ValidationError({"to": [gettext("La fin doit suivre le début.")]})
        if (data["until"] - data["since"]).days > LONGEST_CONFLICT_SPAN_DAYS:
            message = gettext("Au plus %(days)s jours.", days=LONGEST_CONFLICT_SPAN_DAYS)
            raise ValidationError({"to": [message]})


class ConflictSchema(Schema):
    """A held date and one clash it stands in."""

    date_id = fields.Integer(attribute="date.id")
    event = fields.String(attribute="date.event")
    group = fields.String(attribute="date.group_slug")
    start = LocalDateTime(attribute="date.starts_at")
    end = LocalDateTime(attribute="date.ends_at")
    kind = fields.String(attribute="clash.kind")
    other_date_id = fields.Integer(attribute="clash.other_date_id", allow_none=True)
    message = fields.Function(lambda row: row["clash"].described())
