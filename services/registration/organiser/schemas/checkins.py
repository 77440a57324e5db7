"""Check-in at the door: the marks a scanning phone sends, what they answer, and the compact
list of a date's codes it keeps for offline use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.registration.fields import LocalDateTime, NoControlCharacters, row_id
from services.registration.organiser.schemas.base import BrusselsDateTime
from services.registration.organiser.schemas.events import OrganiserDateSchema
from shared.domain.checkin import MAX_CODE_LENGTH, MAX_MARKS, Outcome
from shared.errors_http import flatten_field_errors

# A mark refused by its schema keeps its place in the batch, with its field messages here.
REFUSED = "refused"


class MarkSchema(Schema):
    """One mark: the holder's scanned code, or their registration id when found by name,
    and the moment the phone recorded it."""

    code = fields.String(
        validate=[validate.Length(min=1, max=MAX_CODE_LENGTH), NoControlCharacters()]
    )
    registration = row_id()
    marked_at = BrusselsDateTime(required=True)

    # Asked of the mark as sent, and whatever its fields' errors: a queue is loaded as one
    # collection, whose schema rules marshmallow would otherwise skip for every mark as
    # soon as one of them has a field refused.
    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def one_holder(self, _data: dict[str, Any], original: Any, **_kwargs: Any) -> None:
        """A mark names its holder once: by code or by registration."""
        if isinstance(original, Mapping) and ("code" in original) == ("registration" in original):
            raise ValidationError(
                gettext("Indiquez soit le code scanné, soit l'inscription."), "code"
            )


MARK = MarkSchema()  # built once: a queue holds hundreds of marks


class CheckinBatchSchema(Schema):
    """One mark or a queue of them; each malformed mark is refused alone, on its fields."""

    marks = fields.List(
        fields.Raw(),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_MARKS, error=_l("Envoyez entre {min} et {max} marques à la fois.")
        ),
    )

    @post_load
    def each_mark(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """Each mark read by :class:`MarkSchema`; a refused one becomes its messages."""
        try:
            # One load of the whole queue: marshmallow's cost per call, not per mark.
            return {"marks": MARK.load(data["marks"], many=True)}
        except ValidationError as invalid:
            marks, refused = invalid.valid_data, invalid.messages
        for index, messages in refused.items():
            marks[index] = {REFUSED: flatten_field_errors(messages)}
        return {"marks": marks}


class AnswerSchema(Schema):
    outcome = fields.Enum(Outcome, by_value=True)
    first_name = fields.String(allow_none=True)
    registration = fields.Integer(attribute="registration_id", allow_none=True)
    group = fields.String(
        allow_none=True,
        metadata={
            "description": "Where the holder is expected instead, when the outcome is elsewhere"
        },
    )
    dates = fields.List(LocalDateTime())
    recorded_at = LocalDateTime(allow_none=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """The answer's attribute: answers are objects, never mappings, so their fields are
        read directly rather than by marshmallow's lookup for both (six per mark)."""
        return getattr(obj, attr, default)


class CheckinReportSchema(Schema):
    # Dumped as one collection: marshmallow's cost per call, not per answer.
    answers = fields.Nested(AnswerSchema, many=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": "Why each refused mark recorded nothing, by marks.<index>.<field>"
        },
    )


class CodeHolderSchema(Schema):
    id = fields.Integer()
    digest = fields.String(metadata={"description": "SHA-256 (hex) of the holder's code"})
    first_name = fields.String()
    recorded_at = LocalDateTime(allow_none=True)


class DateCodesSchema(Schema):
    date = fields.Nested(OrganiserDateSchema, attribute="session_date")
    keep_until = LocalDateTime(
        metadata={"description": "When the phone deletes this list: the date's window closes"}
    )
    people = fields.List(fields.Nested(CodeHolderSchema))
