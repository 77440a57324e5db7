"""Recurring dates: the weekly rule organisers send, and what the API answers, a preview or
the dates added."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.registration.fields import LocalDateTime
from services.registration.organiser.schemas.base import FormSchema
from services.registration.organiser.schemas.events import OrganiserDateSchema
from shared.domain.series import MAX_SERIES_DATES, WEEKDAYS

# Weeks between two meetings of a series, at most.
MAX_EVERY_WEEKS = 52
UNKNOWN_DAY = _l("Jour inconnu : MO, TU, WE, TH, FR, SA ou SU.")


class SeriesInputSchema(FormSchema):
    weekdays = fields.List(
        fields.String(validate=validate.OneOf(list(WEEKDAYS), error=UNKNOWN_DAY)),
        required=True,
        validate=validate.Length(min=1, max=len(WEEKDAYS)),
    )
    every_weeks = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=MAX_EVERY_WEEKS)
    )
    first_day = fields.Date(required=True)
    until = fields.Date()
    count = fields.Integer(validate=validate.Range(min=1, max=MAX_SERIES_DATES))
    start_time = fields.Time(required=True)
    end_time = fields.Time(required=True)
    exceptions = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=366))
    skip_holidays = fields.Boolean(load_default=True)
    preview = fields.Boolean(load_default=False)
    force = fields.Boolean(load_default=False)

    @validates_schema
    def a_bounded_rule(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A series ends on a day or after a count, not both; its end follows its start."""
        errors: dict[str, list[str]] = {}
        if ("until" in data) == ("count" in data):
            errors["until"] = [gettext("Donnez soit une date de fin, soit un nombre de dates.")]
        elif "until" in data and "first_day" in data and data["until"] < data["first_day"]:
            errors["until"] = [gettext("La fin doit suivre le début.")]
        if "start_time" in data and "end_time" in data and data["end_time"] <= data["start_time"]:
            errors["end_time"] = [gettext("La fin doit suivre le début.")]
        if errors:
            raise ValidationError(errors)


class SkippedHolidaySchema(Schema):
    day = fields.Date()
    name = fields.String()


class SlotSchema(Schema):
    start = LocalDateTime()
    end = LocalDateTime()


class SeriesResultSchema(Schema):
    preview = fields.Boolean()
    dates = fields.List(fields.Nested(SlotSchema))
    holidays = fields.List(fields.Nested(SkippedHolidaySchema))
    clashes = fields.List(fields.String())
    added = fields.List(fields.Nested(OrganiserDateSchema))
