"""Every input and output of the registration API, with all of its validation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from services.registration.fields import (
    LANGUAGE,
    LocalDateTime,
    Money,
    bounded_text,
    form_values,
    localized,
    row_id,
    slug,
)
from shared.domain.attendance import is_held
from shared.domain.capacity import awaits_confirmation, places_left
from shared.domain.certificates import attended_dates, total_hours
from shared.domain.confirmation import Receipt
from shared.domain.evaluations import RATING_SCALE, TEXT_MAX_LENGTH
from shared.domain.listing import Filters, local_midnight
from shared.i18n import current_language
from shared.models import AttendanceRule, EvaluationQuestion, EventKind, QuestionKind, Role
from shared.paging import Cursor, PageArgsSchema

PHONE = re.compile(r"^\+?[0-9 ./()-]{6,25}$")


def stripped(data: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted values without surrounding spaces, which are typing noise."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


EMAIL_MAX_LENGTH = 254


def ascii_mailbox(value: str) -> str:
    """The address, unless its part before the last "@" holds a character beyond ASCII.

    Emails leave without SMTPUTF8: before the @ only ASCII travels (a domain in any script is
    written in ASCII on the wire).
    """
    if not value.rpartition("@")[0].isascii():
        raise ValidationError(
            gettext("Écrivez la partie avant « @ » sans accents ni lettres non latines.")
        )
    return value


class EmailAddress(fields.Email):
    """An address our emails can reach: short enough, well formed, ASCII before the "@".

    The checks run in that order and stop at the first that fails, so that a value refused
    for its length costs nothing more, whatever it holds.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [validate.Length(max=EMAIL_MAX_LENGTH), *self.validators, ascii_mailbox]

    def _validate(self, value: Any) -> None:
        for check in self.validators:
            check(value)


def email_address() -> fields.Email:
    """An address our emails can reach."""
    return EmailAddress(required=True)


def _plain_text(max_length: int, *, required: bool = True) -> fields.String:
    def not_blank(value: str) -> None:
        if not value.strip():
            raise ValidationError(gettext("Ce champ ne peut pas être vide."))

    return bounded_text(
        max_length,
        validators=[not_blank] if required else [],
        required=required,
        allow_none=not required,
    )


class SessionDateSchema(Schema):
    id = fields.Integer(dump_only=True)
    start = LocalDateTime(attribute="starts_at", dump_only=True)
    end = LocalDateTime(attribute="ends_at", dump_only=True)
    recurrence_rule = fields.String(dump_only=True, allow_none=True)
    cancelled = fields.Function(lambda d: not is_held(d), dump_only=True)


class GroupSchema(Schema):
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    town = fields.String(dump_only=True)
    town_slug = fields.String(dump_only=True)
    venue = fields.String(attribute="venue_name", dump_only=True)
    address = fields.String(dump_only=True)
    street_address = fields.String(dump_only=True)
    postcode = fields.String(dump_only=True)
    latitude = fields.Float(dump_only=True, allow_none=True)
    longitude = fields.Float(dump_only=True, allow_none=True)
    capacity = fields.Integer(dump_only=True, allow_none=True)
    seats_left = fields.Function(
        places_left, dump_only=True, allow_none=True, metadata={"type": "integer"}
    )
    waitlist_length = fields.Integer(dump_only=True)
    cancelled = fields.Boolean(attribute="is_cancelled", dump_only=True)
    dates = fields.List(fields.Nested(SessionDateSchema), dump_only=True)


class RegisteredGroupSchema(GroupSchema):
    """A registration's group: availability is the listings' business (and two counts)."""

    class Meta:
        exclude = ("capacity", "seats_left", "waitlist_length")


class EventSchema(Schema):
    slug = fields.String(dump_only=True)
    title = localized("title")
    description = localized("description")
    prerequisites = localized("prerequisites")
    kind = fields.Enum(EventKind, by_value=True, dump_only=True)
    attendance_rule = fields.Enum(AttendanceRule, by_value=True, dump_only=True)
    registration_opens_at = LocalDateTime(dump_only=True, allow_none=True)
    registration_closes_at = LocalDateTime(dump_only=True, allow_none=True)
    organiser_contact = fields.String(dump_only=True)
    price = Money(dump_only=True)
    groups = fields.List(fields.Nested(GroupSchema), dump_only=True)


class EventFiltersSchema(Schema):
    town = fields.String(validate=validate.Length(max=120))
    kind = fields.Enum(EventKind, by_value=True)


class EventQueryArgsSchema(EventFiltersSchema, PageArgsSchema):
    cursor = Cursor(datetime, int, description="The previous page's `next`: the page after it")
    starts_from = fields.Date(
        data_key="from", metadata={"description": "Dates starting on this day or later"}
    )
    starts_until = fields.Date(
        data_key="to", metadata={"description": "Dates starting on this day or earlier"}
    )
    upcoming = fields.Boolean(
        load_default=True,
        metadata={"description": "Only events with a date to come or under way (default)"},
    )

    @validates_schema
    def _from_before_to(self, data: dict[str, Any], **kwargs: Any) -> None:
        begins, ends = data.get("starts_from"), data.get("starts_until")
        if begins is not None and ends is not None and ends < begins:
            raise ValidationError(gettext("Ce jour précède celui de « from »."), "to")

    @post_load
    def _as_filters(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        begins, ends = data.pop("starts_from", None), data.pop("starts_until", None)
        data["filters"] = Filters(
            town=data.pop("town", None),
            kind=data.pop("kind", None),
            starts_from=None if begins is None else local_midnight(begins),
            starts_before=None if ends is None else local_midnight(ends + timedelta(days=1)),
        )
        return data


MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}$")


class SessionsPageArgsSchema(EventFiltersSchema):
    month = fields.String(validate=validate.Regexp(MONTH))
    cursor = Cursor(datetime, int, description="The page after the one this came from")

    @validates("month")
    def _real_month(self, value: str, **kwargs: Any) -> None:
        if not 1 <= int(value[5:]) <= 12 or int(value[:4]) < 1:
            raise ValidationError(gettext("Mois invalide."))

    @post_load
    def _month_as_day(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "month" in data:
            data["month"] = date(int(data["month"][:4]), int(data["month"][5:]), 1)
        return data


class ArchiveArgsSchema(Schema):
    cursor = Cursor(datetime, int, description="The page after the one this came from")


class RegistrationCreateSchema(Schema):
    group = fields.String(
        required=True,
        validate=slug(_l("Identifiant de groupe invalide.")),
    )
    first_name = _plain_text(100)
    last_name = _plain_text(100)
    email = email_address()
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(PHONE, error=_l("Ce numéro de téléphone n'est pas valide.")),
    )
    organisation = _plain_text(200, required=False)
    role = fields.Enum(
        Role,
        by_value=True,
        required=True,
        error_messages={"unknown": _l("Choisissez une des fonctions proposées.")},
    )
    language = fields.String(
        load_default=None,
        validate=LANGUAGE,
    )
    consent = fields.Boolean(required=True)
    commit_all_dates = fields.Boolean(load_default=False)
    date = row_id(load_default=None, allow_none=True, strict=True)

    @pre_load
    def strip_strings(self, data: Any, **_kwargs: Any) -> Any:
        """Surrounding spaces are typing noise; empty optional fields mean absent."""
        if not isinstance(data, Mapping):
            return data
        cleaned = stripped(data)
        for optional in ("phone", "organisation"):
            if cleaned.get(optional) == "":
                cleaned[optional] = None
        return cleaned

    @validates("consent")
    def consent_given(self, value: bool, **_kwargs: Any) -> None:
        """Registration needs the participant's explicit consent."""
        if value is not True:
            raise ValidationError(gettext("Votre consentement est nécessaire pour vous inscrire."))


class ConfirmBy(LocalDateTime):
    """Until when the place, or the waiting position, awaits confirmation from the email;
    null once confirmed, or where the event does not ask for it."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        awaiting = isinstance(obj, Receipt) or (obj.is_active and awaits_confirmation(obj))
        return super()._serialize(value if awaiting else None, attr, obj, **kwargs)


class RegistrationSchema(Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    waitlist_position = fields.Integer(dump_only=True, allow_none=True)
    manage_token = fields.String(dump_only=True)
    calendar_token = fields.String(dump_only=True)
    event = fields.Function(lambda r: r.event.slug, dump_only=True)
    group = fields.Nested(RegisteredGroupSchema, dump_only=True)
    first_name = fields.String(dump_only=True)
    last_name = fields.String(dump_only=True)
    email = fields.String(dump_only=True)
    phone = fields.String(dump_only=True, allow_none=True)
    organisation = fields.String(dump_only=True, allow_none=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)
    language = fields.String(dump_only=True)
    created_at = LocalDateTime(dump_only=True)
    cancelled_at = LocalDateTime(dump_only=True, allow_none=True)
    confirm_by = ConfirmBy(dump_only=True, allow_none=True)


class RegistrationFormSchema(RegistrationCreateSchema):
    """The event page's form: the API's fields and rules, as a browser sends them."""

    class Meta:
        unknown = EXCLUDE  # the CSRF token and the submit button

    @pre_load
    def from_form(self, data: Any, **_kwargs: Any) -> Any:
        """An unticked checkbox is simply absent; an unchosen option or date is empty."""
        return form_values(
            data, checkboxes=("consent", "commit_all_dates"), choices=("role", "date")
        )


class ManageLinkRequestSchema(Schema):
    """Asking for the manage link again: the event and the address registered with."""

    class Meta:
        unknown = EXCLUDE

    event = fields.String(
        required=True,
        validate=validate.Length(min=1, max=80, error=_l("Choisissez un événement.")),
    )
    email = email_address()

    @pre_load
    def strip_strings(self, data: Any, **_kwargs: Any) -> Any:
        """Surrounding spaces are typing noise."""
        return stripped(data) if isinstance(data, Mapping) else data


class AttendedDateSchema(Schema):
    start = LocalDateTime(attribute="starts_at", dump_only=True)
    end = LocalDateTime(attribute="ends_at", dump_only=True)
    hours = fields.Float(dump_only=True)


class CertificateSchema(Schema):
    """What a verification code proves, and nothing else about the person."""

    holder = fields.Function(lambda c: c.registration.full_name, dump_only=True)
    event = fields.Function(
        lambda c: c.registration.event.localized("title", current_language()), dump_only=True
    )
    issuer = fields.Function(lambda c: c.registration.event.issuer or None, dump_only=True)
    town = fields.Function(lambda c: c.registration.group.town, dump_only=True)
    dates = fields.Method("attended", dump_only=True)
    hours = fields.Method("total", dump_only=True)
    issued_at = LocalDateTime(dump_only=True)

    def attended(self, certificate: Any) -> Any:
        """The dates attended, each with its hours."""
        return AttendedDateSchema(many=True).dump(attended_dates(certificate.registration))

    def total(self, certificate: Any) -> float:
        """The hours attended in all."""
        return total_hours(attended_dates(certificate.registration))


class EvaluationFormSchema(Schema):
    """The answers to an evaluation as the form sends them: every question may be skipped,
    but not all of them. :func:`evaluation_form_schema` declares a field per question."""

    class Meta:
        unknown = EXCLUDE  # the CSRF token and the submit button

    @pre_load
    def skip_unanswered(self, data: Any, **_kwargs: Any) -> Any:
        """An empty text or an unticked choice is a question skipped."""
        values = stripped(data) if isinstance(data, Mapping) else data
        return {k: v for k, v in values.items() if v != ""} if isinstance(values, dict) else data

    @validates_schema
    def something_answered(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """An empty submission is a mistake, not an answer."""
        if not data and self.fields:
            first = next(iter(self.fields))
            raise ValidationError(gettext("Répondez à au moins une question."), first)

    @post_load
    def by_question(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """The answers keyed by question id, as they are stored."""
        return {name.removeprefix("q"): value for name, value in data.items()}


def answer_field_name(question: EvaluationQuestion) -> str:
    """The form field of a question."""
    return f"q{question.id}"


def evaluation_form_schema(questions: list[EvaluationQuestion]) -> EvaluationFormSchema:
    """The form schema of this questionnaire."""
    declared = {answer_field_name(q): _answer_field(q.kind) for q in questions}
    schema_class = type("EvaluationAnswersSchema", (EvaluationFormSchema,), declared)
    return schema_class()


def _answer_field(kind: QuestionKind) -> fields.Field:
    if kind is QuestionKind.RATING:
        scale = _l(
            "Choisissez une note de %(lowest)d à %(highest)d.",
            lowest=min(RATING_SCALE),
            highest=max(RATING_SCALE),
        )
        return fields.Integer(
            validate=validate.OneOf(RATING_SCALE, error=scale), error_messages={"invalid": scale}
        )
    if kind is QuestionKind.YES_NO:
        return fields.Boolean(
            truthy={"yes"}, falsy={"no"}, error_messages={"invalid": _l("Répondez oui ou non.")}
        )
    return bounded_text(TEXT_MAX_LENGTH, lines=True)
