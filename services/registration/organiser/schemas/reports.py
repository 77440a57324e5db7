"""The participation report's query and figures."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.registration.fields import slug
from services.registration.organiser.schemas.base import FormSchema
from shared.models import EventKind

# A report covers at most this many days: years of data are asked for one at a time.
MAX_REPORT_DAYS = 3 * 366


class ReportArgsSchema(Schema):
    start = fields.Date(required=True, data_key="from", metadata={"description": "First day"})
    end = fields.Date(required=True, data_key="to", metadata={"description": "Last day"})
    town = fields.String(validate=slug(_l("Identifiant de ville invalide.")))
    kind = fields.Enum(EventKind, by_value=True)
    event = fields.String(validate=slug(_l("Identifiant d'événement invalide.")))

    @validates_schema
    def a_period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The period runs forward, and not for years on end."""
        if data["end"] < data["start"]:
            raise ValidationError(gettext("Ce jour précède celui de « from »."), "to")
        if (data["end"] - data["start"]).days > MAX_REPORT_DAYS:
            raise ValidationError(gettext("Une période de trois ans au plus."), "to")


class ReportFileArgsSchema(ReportArgsSchema):
    exact = fields.Boolean(
        load_default=False,
        metadata={"description": "Exact counts, also under 5 (administrators; journaled)"},
    )


class ParticipationReportSchema(Schema):
    start = fields.Function(lambda r: r.scope.start.isoformat(), data_key="from")
    end = fields.Function(lambda r: r.scope.end.isoformat(), data_key="to")
    events_held = fields.Integer()
    groups_held = fields.Integer()
    hours_planned = fields.Float()
    hours_delivered = fields.Float()
    registrations = fields.Integer()
    people = fields.Integer(metadata={"description": "Counted once per normalised email"})
    presence_rate = fields.Float(allow_none=True)
    completed = fields.Integer()
    completion_rate = fields.Float(allow_none=True)
    drop_in_people = fields.Integer(
        metadata={"description": "Head counts of held drop-in dates, apart from registrations"}
    )
    indicators = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "Registrations per category of each indicator"},
    )


MAX_HEADCOUNT = 10_000


class HeadcountInputSchema(Schema):
    people = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=MAX_HEADCOUNT)
    )


class HeadcountFormSchema(FormSchema):
    """The head count as the page's form sends it, a number typed as text."""

    people = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_HEADCOUNT))


class HeadcountSchema(Schema):
    date = fields.Integer(attribute="id")
    people = fields.Integer(attribute="headcount", allow_none=True)
