"""Messages to participants: what organisers write, and how the API answers a message, its
preview and its follow-up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)
from werkzeug.datastructures import MultiDict

from services.registration.fields import LANGUAGE, LocalDateTime, bounded_text, row_id
from services.registration.organiser.schemas.base import BrusselsDateTime
from shared.domain.organiser_messages import (
    BODY_MAX,
    PLACEHOLDERS,
    SOURCES,
    SUBJECT_MAX,
    unknown_placeholders,
)
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES
from shared.models import DeliveryStatus, SendMode
from shared.paging import Cursor, PageArgsSchema

LIST_FIELDS = ("groups", "statuses")
TEXT_FIELDS = ("subject", "body")
# What the page's form sends beside the message: its CSRF token and the button pressed.
FORM_ONLY = ("csrf_token", "action")
OFFSET_DAYS = 365
# "HH:MM", a time of day: fixed width, nothing to backtrack over.
TIME_OF_DAY = validate.Regexp(
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error=_l("Une heure comme 18:00.")
)


class MessageInputSchema(Schema):
    groups = fields.List(
        fields.String(validate=validate.Length(min=1, max=80)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "The groups' slugs; none: the whole event"},
    )
    statuses = fields.List(
        fields.String(validate=validate.OneOf(["confirmed", "waitlisted"])),
        load_default=lambda: ["confirmed", "waitlisted"],
        validate=validate.Length(min=1, error=_l("Choisissez au moins un statut.")),
    )
    present_on = row_id(allow_none=True, load_default=None)
    absent_from = row_id(allow_none=True, load_default=None)
    source = fields.String(load_default="any", validate=validate.OneOf(SOURCES))
    subject = fields.Dict(
        keys=fields.String(validate=LANGUAGE), values=bounded_text(SUBJECT_MAX), required=True
    )
    body = fields.Dict(
        keys=fields.String(validate=LANGUAGE),
        values=bounded_text(BODY_MAX, lines=True),
        required=True,
        metadata={"description": f"Plain text; placeholders: {', '.join(PLACEHOLDERS)}"},
    )
    send = fields.Enum(SendMode, by_value=True, load_default=SendMode.NOW)
    send_at = BrusselsDateTime(allow_none=True, load_default=None)
    offset_anchor = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(["first", "last"])
    )
    offset_days = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=-OFFSET_DAYS, max=OFFSET_DAYS),
    )
    offset_time = fields.String(allow_none=True, load_default=None, validate=TIME_OF_DAY)

    @pre_load
    def from_form_fields(self, data: Any, **_kwargs: Any) -> Any:
        """Read the page's form like a JSON body: inputs ``subject_fr``, ``body_en``… become
        the texts by language, the checked groups and statuses lists; blank choices are
        absent."""
        if not isinstance(data, Mapping):
            return data
        values = {key: value for key, value in data.items() if key not in FORM_ONLY}
        if isinstance(data, MultiDict):
            values.update({name: data.getlist(name) for name in LIST_FIELDS if name in data})
        for name in TEXT_FIELDS:
            for language in LANGUAGES:
                text = values.pop(f"{name}_{language}", None)
                if isinstance(text, str) and text.strip():
                    values.setdefault(name, {})[language] = text.strip()
        for name in ("present_on", "absent_from", "send_at", "offset_anchor", "offset_days"):
            if values.get(name) == "":
                del values[name]
        if values.get("offset_time") == "":
            del values["offset_time"]
        return values

    @validates_schema
    def check_texts(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """French is required; each language has both a subject and a body; every name between
        braces is a placeholder."""
        subjects, bodies = data["subject"], data["body"]
        errors: dict[str, list[str]] = {}
        for name, texts in (("subject", subjects), ("body", bodies)):
            if not (texts.get(DEFAULT_LANGUAGE) or "").strip():
                errors.setdefault(name, []).append(gettext("Le texte en français est requis."))
        for language in sorted(set(subjects) ^ set(bodies)):
            missing = "body" if language in subjects else "subject"
            errors.setdefault(missing, []).append(
                gettext("Il manque le texte en %(language)s.", language=language)
            )
        for name, texts in (("subject", subjects), ("body", bodies)):
            unknown = [p for text in texts.values() for p in unknown_placeholders(text)]
            for placeholder in dict.fromkeys(unknown):
                errors.setdefault(name, []).append(
                    gettext("Champ inconnu : {%(name)s}.", name=placeholder)
                )
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def check_moment(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A message at a time names it; one at an offset names its anchor, days and time
        and follows one group."""
        required = gettext("Ce champ est requis.")
        if data["send"] is SendMode.AT and data["send_at"] is None:
            raise ValidationError({"send_at": [required]})
        if data["send"] is SendMode.OFFSET:
            missing = {
                name: [required]
                for name in ("offset_anchor", "offset_days", "offset_time")
                if data[name] is None
            }
            if len(data["groups"]) != 1:
                missing["groups"] = [gettext("Un envoi lié aux dates suit un seul groupe.")]
            if missing:
                raise ValidationError(missing)


class AudienceSchema(Schema):
    groups = fields.List(fields.String())
    statuses = fields.List(fields.String())
    present_on = fields.Integer(allow_none=True)
    absent_from = fields.Integer(allow_none=True)
    source = fields.String()


class TextSchema(Schema):
    subject = fields.String()
    body = fields.String()


class ExampleSchema(TextSchema):
    first_name = fields.String()


class PreviewSchema(Schema):
    total = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    examples = fields.Dict(keys=fields.String(), values=fields.Nested(ExampleSchema))


class FailedCopySchema(Schema):
    id = fields.Integer()
    recipient = fields.String()
    language = fields.String()
    last_error = fields.String(allow_none=True)
    attempts = fields.Integer()


class MessageSchema(Schema):
    id = fields.Function(lambda follow_up: follow_up.message.id)
    state = fields.String(
        metadata={"description": "scheduled, sending, sent, failed, withdrawn or called_off"}
    )
    audience = fields.Nested(AudienceSchema)
    texts = fields.Function(lambda follow_up: follow_up.message.texts)
    send = fields.Function(lambda follow_up: follow_up.message.send_mode.value)
    send_at = LocalDateTime(allow_none=True, metadata={"description": "When it leaves or left"})
    offset_anchor = fields.Function(lambda follow_up: follow_up.message.offset_anchor)
    offset_days = fields.Function(lambda follow_up: follow_up.message.offset_days)
    offset_time = fields.Function(lambda follow_up: follow_up.message.offset_time)
    released_at = fields.Function(lambda follow_up: follow_up.released_at)
    recipients = fields.Integer(allow_none=True)
    sent = fields.Integer()
    counts = fields.Dict(keys=fields.Enum(DeliveryStatus, by_value=True), values=fields.Integer())
    failed = fields.List(fields.Nested(FailedCopySchema))


class RetrySchema(Schema):
    queued = fields.List(fields.Integer(), metadata={"description": "The copies sent again"})


class DeliveriesArgsSchema(PageArgsSchema):
    cursor = Cursor(int, description="The previous page's `next`: the page after it")
