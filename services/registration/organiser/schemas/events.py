"""Events, their groups and dates: what organisers send to create and change them, and what
the API answers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from services.registration.fields import (
    LANGUAGE,
    SLUG,
    LocalDateTime,
    Money,
    NoControlCharacters,
    bounded_text,
    localized,
    row_id,
)
from services.registration.organiser.schemas.base import BrusselsDateTime, FormSchema, texts
from shared.database import MAX_ROW_ID
from shared.domain.attendance import is_held
from shared.domain.confirmation import LONGEST_HOURS, SHORTEST_HOURS
from shared.domain.schedule import LONGEST_SHIFT_DAYS
from shared.i18n import DEFAULT_LANGUAGE
from shared.models import AttendanceRule, EventKind
from shared.paging import Cursor, PageArgsSchema

MAX_CAPACITY = 10_000
# What the event form sends for "no confirmation by email" (a blank would mean "unchanged").
NO_CONFIRMATION = "none"


class ConfirmationHours(fields.Integer):
    """Hours a registration has to be confirmed from its email before its place is released;
    null, or "none" from the form, for registrations that count at once."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value == NO_CONFIRMATION:
            return None
        return super()._deserialize(value, attr, data, **kwargs)


class EventInputSchema(FormSchema):
    slug = fields.String(required=True, validate=SLUG)
    title = texts(300, required=True)
    description = texts(5000, lines=True)
    prerequisites = texts(1000, lines=True)
    kind = fields.Enum(EventKind, by_value=True, required=True)
    attendance_rule = fields.Enum(AttendanceRule, by_value=True, required=True)
    language = fields.String(validate=LANGUAGE)
    registration_opens_at = BrusselsDateTime(allow_none=True)
    registration_closes_at = BrusselsDateTime(allow_none=True)
    organiser_contact = bounded_text(500, lines=True)
    price = Money(places=2, validate=validate.Range(min=0))
    confirmation_hours = ConfirmationHours(
        allow_none=True,
        validate=validate.Range(min=SHORTEST_HOURS, max=LONGEST_HOURS),
        metadata={"description": "Hours to confirm a registration from its email; null: none"},
    )
    issuer = bounded_text(200)
    signatory_name = bounded_text(200)
    signatory_role = texts(200)

    @validates("title")
    def french_title(self, value: dict[str, str], **_kwargs: Any) -> None:
        """French is the default language: every event has a French title."""
        if not value.get(DEFAULT_LANGUAGE, "").strip():
            raise ValidationError(gettext("Le titre en français est obligatoire."))


class EventUpdateSchema(EventInputSchema):
    class Meta:
        exclude = ("slug",)


class VenueSchema(FormSchema):
    venue_name = bounded_text(200, required=True)
    street_address = bounded_text(200, required=True)
    postcode = bounded_text(20, required=True)
    town = bounded_text(120, required=True)
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))


class DateInputSchema(FormSchema):
    start = BrusselsDateTime(required=True)
    end = BrusselsDateTime(required=True)


class DateChangeSchema(DateInputSchema):
    force = fields.Boolean(
        load_default=False,
        metadata={"description": "Book even if the date clashes; the override is journaled"},
    )


class PlaceSchema(VenueSchema):
    """Where a group meets and who runs it: a venue record (and one of its rooms), or an
    address given in full, whose venue record is found or made."""

    venue = row_id()
    room = row_id(allow_none=True)
    trainers = fields.List(row_id())


class GroupInputSchema(PlaceSchema):
    # Required unless the group names a venue record: see a_place.
    venue_name = bounded_text(200)
    street_address = bounded_text(200)
    postcode = bounded_text(20)
    town = bounded_text(120)
    slug = fields.String(validate=SLUG)
    name = fields.String(
        required=True, validate=[validate.Length(min=1, max=200), NoControlCharacters()]
    )
    position = fields.Integer(validate=validate.Range(min=0, max=MAX_ROW_ID))
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY))
    dates = fields.List(fields.Nested(DateInputSchema))

    @validates_schema
    def a_place(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A new group meets at a venue record, or at an address given in full."""
        if "venue" in data:
            return
        missing = [f for f in ("venue_name", "street_address", "postcode", "town") if f not in data]
        if missing:
            raise ValidationError({f: [gettext("Ce champ est obligatoire.")] for f in missing})


class GroupUpdateSchema(PlaceSchema):
    name = fields.String(validate=[validate.Length(min=1, max=200), NoControlCharacters()])
    position = fields.Integer(validate=validate.Range(min=0, max=MAX_ROW_ID))


class ShiftInputSchema(FormSchema):
    days = fields.Integer(
        required=True,
        validate=validate.Range(min=-LONGEST_SHIFT_DAYS, max=LONGEST_SHIFT_DAYS),
        metadata={"description": "Whole days to move every held date by (not 0)"},
    )
    force = fields.Boolean(load_default=False)

    @validates("days")
    def moves(self, value: int, **_kwargs: Any) -> None:
        """A shift of no day changes nothing."""
        if value == 0:
            raise ValidationError(gettext("Un décalage de 0 jour ne change rien."))


class OrganiserDateSchema(Schema):
    id = fields.Integer()
    start = LocalDateTime(attribute="starts_at")
    end = LocalDateTime(attribute="ends_at")
    sequence = fields.Integer()
    cancelled = fields.Function(lambda d: not is_held(d))


class OrganiserGroupSummarySchema(Schema):
    slug = fields.String()
    name = fields.String()
    position = fields.Integer()
    town = fields.String()
    town_slug = fields.String()
    venue_name = fields.String()
    street_address = fields.String()
    postcode = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    venue = fields.Integer(attribute="venue_id", allow_none=True)
    room = fields.Integer(attribute="room_id", allow_none=True)
    trainers = fields.Function(lambda group: [trainer.id for trainer in group.trainers])
    revision = fields.Integer()
    cancelled = fields.Boolean(attribute="is_cancelled")
    closed_at = LocalDateTime(allow_none=True)


class OrganiserGroupSchema(OrganiserGroupSummarySchema):
    dates = fields.List(fields.Nested(OrganiserDateSchema))


class OrganiserEventSchema(Schema):
    slug = fields.String()
    title = fields.Dict()
    description = fields.Dict()
    prerequisites = fields.Dict()
    kind = fields.Enum(EventKind, by_value=True)
    attendance_rule = fields.Enum(AttendanceRule, by_value=True)
    language = fields.String()
    registration_opens_at = LocalDateTime(allow_none=True)
    registration_closes_at = LocalDateTime(allow_none=True)
    organiser_contact = fields.String()
    price = Money()
    confirmation_hours = fields.Integer(allow_none=True)
    issuer = fields.String()
    signatory_name = fields.String()
    signatory_role = fields.Dict()
    published = fields.Boolean(metadata={"description": "False for a draft: organisers only"})
    groups = fields.List(fields.Nested(OrganiserGroupSchema))


class OrganiserEventsArgsSchema(PageArgsSchema):
    cursor = Cursor(int, description="The previous page's `next`: the page after it")


class OrganiserEventSummarySchema(Schema):
    slug = fields.String()
    title = localized("title")
    published = fields.Boolean(metadata={"description": "False for a draft: organisers only"})
