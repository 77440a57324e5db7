"""Copying an event: where the copy goes and how far its dates move, and what the API
answers, a preview or the copy made."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.registration.fields import SLUG
from services.registration.organiser.schemas.base import FormSchema
from services.registration.organiser.schemas.series import SlotSchema
from shared.domain.schedule import LONGEST_SHIFT_DAYS

# Whole weeks, as far as a shift goes.
LONGEST_COPY_WEEKS = LONGEST_SHIFT_DAYS // 7


class CopyInputSchema(FormSchema):
    slug = fields.String(required=True, validate=SLUG, metadata={"description": "The copy's"})
    weeks = fields.Integer(
        validate=validate.Range(min=-LONGEST_COPY_WEEKS, max=LONGEST_COPY_WEEKS),
        metadata={"description": "Whole weeks to move every date by; or give first_day"},
    )
    first_day = fields.Date(metadata={"description": "The day the first date moves to"})
    preview = fields.Boolean(load_default=False)
    force = fields.Boolean(load_default=False)

    @validates_schema
    def one_shift(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The dates move by whole weeks or to a first day: exactly one of them, not 0."""
        if ("weeks" in data) == ("first_day" in data):
            message = gettext("Donnez soit un nombre de semaines, soit un premier jour.")
            raise ValidationError({"weeks": [message]})
        if data.get("weeks") == 0:
            raise ValidationError({"weeks": [gettext("Un décalage de 0 semaine ne change rien.")]})


class CopiedGroupSchema(Schema):
    slug = fields.String(attribute="source.slug")
    name = fields.String(attribute="source.name")
    town = fields.String(attribute="source.town")
    dates = fields.Function(
        lambda g: SlotSchema(many=True).dump([{"start": s, "end": e} for s, e in g.slots])
    )


class CopyResultSchema(Schema):
    preview = fields.Boolean()
    slug = fields.String()
    days = fields.Integer(metadata={"description": "How many days every date moves"})
    groups = fields.List(fields.Nested(CopiedGroupSchema))
    clashes = fields.List(fields.String())
    published = fields.Boolean(metadata={"description": "Always false: the copy is a draft"})
