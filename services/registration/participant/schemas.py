"""Every input and output of the registration API, with all of its validation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

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
    email_address,
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
from shared.domain.indicators import PREFER_NOT_TO_SAY_KEY, is_sensitive
from shared.domain.listing import Filters, local_midnight
from shared.domain.registration_questions import country_codes, offered_questions
from shared.errors import InvalidRequest
from shared.errors_http import flatten_field_errors
from shared.i18n import current_language
from shared.models import (
    AnswerKind,
    AttendanceRule,
    EvaluationQuestion,
    Event,
    EventKind,
    QuestionKind,
    RegistrationQuestion,
    Role,
)
from shared.models.registration_questions import in_language
from shared.paging import Cursor, PageArgsSchema

PHONE = re.compile(r"^\+?[0-9 ./()-]{6,25}$")
ANSWER_INPUT_PREFIX = "answer-"
CONSENT_SUFFIX = "-consent"
ANSWER_TEXT_LENGTH = 300
ANSWER_LONG_TEXT_LENGTH = 4000


def stripped(data: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted values without surrounding spaces, which are typing noise."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


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


class PublicChoiceSchema(Schema):
    key = fields.String(dump_only=True)
    label = fields.Method("label_of", dump_only=True)

    def label_of(self, choice: dict[str, Any]) -> str:
        """The choice in the reader's language, else French."""
        return in_language(choice["label"], current_language())


class PublicQuestionSchema(Schema):
    """A question of the registration form as participants read it."""

    id = fields.Integer(dump_only=True)
    kind = fields.Enum(AnswerKind, by_value=True, dump_only=True)
    text = fields.Function(lambda q: q.text(current_language()), dump_only=True)
    help = fields.Function(lambda q: q.help_text(current_language()), dump_only=True)
    required = fields.Boolean(dump_only=True)
    choices = fields.List(
        fields.Nested(PublicChoiceSchema), attribute="offered_choices", dump_only=True
    )
    minimum = fields.Float(dump_only=True, allow_none=True)
    maximum = fields.Float(dump_only=True, allow_none=True)
    condition = fields.Method("condition_of", dump_only=True, allow_none=True)

    def condition_of(self, question: RegistrationQuestion) -> dict[str, Any] | None:
        """Asked only when this earlier question was answered with this choice."""
        if question.condition_question_id is None:
            return None
        return {"question": question.condition_question_id, "choice": question.condition_choice}


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


class OfferedQuestions(fields.List):
    """The questions a new registration of the event is asked: a list, so that OpenAPI
    documents each question's shape."""

    def get_value(self, obj: Event, attr: str, accessor: Any = None, default: Any = None) -> Any:
        """The event's questions offered to new registrations, in order."""
        return offered_questions(obj)


class EventDetailSchema(EventSchema):
    """One event, with the questions its registration form asks."""

    questions = OfferedQuestions(
        fields.Nested(PublicQuestionSchema),
        dump_only=True,
        metadata={"description": "The registration form's own questions, to answer in `answers`"},
    )


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
    consented_answers = fields.List(
        fields.Integer(),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={
            "description": "Questions on health or origin whose answer the person agrees to "
            "have recorded (each with its own consent sentence)"
        },
    )
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(max=12)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={
            "description": "Answers to the event's questions (its `questions`), by question "
            "id: a text, a choice's key, a list of keys, true or false, a date YYYY-MM-DD, "
            "a number or a two-letter country code. Checked against the event's questions."
        },
    )

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
        """An unticked checkbox is simply absent; an unchosen option or date is empty; the
        inputs ``answer-<id>`` are the answers (several ticked boxes, a list)."""
        values = form_values(
            data, checkboxes=("consent", "commit_all_dates"), choices=("role", "date")
        )
        return with_form_answers(values, data)


def with_form_answers(values: Any, form: Any) -> Any:
    """A form's values with its inputs ``answer-<id>`` gathered as ``answers``, and the
    ticked boxes ``answer-<id>-consent`` as ``consented_answers``."""
    if not hasattr(form, "getlist"):
        return values
    kept = {k: v for k, v in values.items() if not k.startswith(ANSWER_INPUT_PREFIX)}
    consented = [
        question_id
        for key in form
        if key.startswith(ANSWER_INPUT_PREFIX)
        and key.endswith(CONSENT_SUFFIX)
        and (question_id := key[len(ANSWER_INPUT_PREFIX) : -len(CONSENT_SUFFIX)]).isdigit()
    ]
    return {**kept, "answers": answers_in_form(form), "consented_answers": consented}


def answers_in_form(form: Any) -> dict[str, Any]:
    """The inputs ``answer-<id>`` of a form as answers by question id; several ticked boxes
    are a list."""
    answers = {}
    for key in form:
        question_id = key.removeprefix(ANSWER_INPUT_PREFIX)
        if key.startswith(ANSWER_INPUT_PREFIX) and question_id.isdigit():
            given = form.getlist(key)
            answers[question_id] = given if len(given) > 1 else given[0]
    return answers


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


class AnswersSchema(Schema):
    """Answers to an event's registration questions, keyed by question id: a question not
    offered is an unknown field; a required one, if asked, must be answered; one asked only
    after a given answer is dropped when that answer was not given.
    :func:`answers_schema` declares a field per question."""

    # Each question's id: whether it is required, and the earlier answer it waits for.
    rules: ClassVar[dict[str, AnswerRule]] = {}
    # The questions on health or origin whose answer the person agreed to have recorded.
    consented = fields.List(fields.String(), load_default=list)

    @pre_load
    def skip_unanswered(self, data: Any, **_kwargs: Any) -> Any:
        """An empty text, an unchosen option or null is a question left unanswered."""
        if not isinstance(data, Mapping):
            return data
        cleaned = {k: v for k, v in stripped(data).items() if v not in ("", None, [])}
        # A form sends one ticked box of several as a single value.
        return {
            k: [v] if isinstance(self.fields.get(k), fields.List) and isinstance(v, str) else v
            for k, v in cleaned.items()
        }

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def required_when_asked(self, data: dict[str, Any], original: Any, **_kwargs: Any) -> None:
        """A required question asked only after a given answer must then be answered (an
        answer given but refused already has its message)."""
        given = original if isinstance(original, Mapping) else {}
        missing = {
            key: [gettext("Ce champ est obligatoire.")]
            for key, rule in self.rules.items()
            if rule.required
            and rule.after_question is not None
            and given.get(key) in (None, "", [])
            and rule.is_asked(data)
        }
        unconsented = {
            key: [
                gettext(
                    "Cochez la phrase de consentement de cette question, "
                    "ou choisissez de ne pas répondre."
                )
            ]
            for key, rule in self.rules.items()
            if rule.sensitive
            and data.get(key) not in (None, PREFER_NOT_TO_SAY_KEY)
            and key not in data.get("consented", [])
        }
        if missing or unconsented:
            raise ValidationError({**unconsented, **missing})

    @post_load
    def by_question(self, data: dict[str, Any], **_kwargs: Any) -> dict[int, Any]:
        """The answers as stored, by question id; those to questions not asked dropped."""
        return {
            int(key): _stored(value)
            for key, value in data.items()
            if key in self.rules and self.rules[key].is_asked(data)
        }


@dataclass(frozen=True)
class AnswerRule:
    """Whether a question must be answered, and the earlier answer it is asked after."""

    required: bool
    after_question: str | None
    after_choice: str | None
    sensitive: bool = False

    def is_asked(self, answers: dict[str, Any]) -> bool:
        """Whether the question is asked, given the answers to the earlier ones."""
        return self.after_question is None or answers.get(self.after_question) == self.after_choice


def _stored(value: Any) -> Any:
    """A valid answer as JSON holds it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Built once per version of an event's questions, so that registering need not read them.
_ANSWER_SCHEMAS: dict[tuple[Any, ...], AnswersSchema] = {}
ANSWER_SCHEMAS_KEPT = 512


def load_answers(
    event: Event, given: dict[str, Any], consented: list[int] | None = None
) -> dict[int, Any]:
    """The answers to the event's questions, validated; 422 on each question's field
    (``answers.<id>``) otherwise."""
    # Changing the questions bumps the event's revision; the creation time tells apart two
    # events that had the same id (one deleted, or rolled back, before the other).
    version = (event.id, event.created_at, event.revision)
    schema = _ANSWER_SCHEMAS.get(version)
    if schema is None:
        if len(_ANSWER_SCHEMAS) >= ANSWER_SCHEMAS_KEPT:
            _ANSWER_SCHEMAS.pop(next(iter(_ANSWER_SCHEMAS)), None)
        schema = _ANSWER_SCHEMAS[version] = answers_schema(offered_questions(event))
    try:
        return schema.load({**given, "consented": [str(i) for i in consented or []]})
    except ValidationError as invalid:
        errors = flatten_field_errors(invalid.messages)
        raise InvalidRequest(errors={f"answers.{k}": v for k, v in errors.items()}) from invalid


def answers_schema(questions: list[RegistrationQuestion]) -> AnswersSchema:
    """The schema of the answers to these questions (those offered to new registrations)."""
    declared: dict[str, Any] = {str(q.id): _registration_answer_field(q) for q in questions}
    declared["rules"] = {
        str(q.id): AnswerRule(
            required=q.required,
            after_question=None
            if q.condition_question_id is None
            else str(q.condition_question_id),
            after_choice=q.condition_choice,
            sensitive=is_sensitive(q.indicator),
        )
        for q in questions
    }
    return type("RegistrationAnswersSchema", (AnswersSchema,), declared)()


def _registration_answer_field(question: RegistrationQuestion) -> fields.Field:
    required = question.required and question.condition_question_id is None
    kind = question.kind
    if kind is AnswerKind.ONE_CHOICE or kind is AnswerKind.COUNTRY:
        offered = (
            country_codes()
            if kind is AnswerKind.COUNTRY
            else [c["key"] for c in question.offered_choices]
        )
        error = _l("Choisissez une des réponses proposées.")
        return fields.String(required=required, validate=validate.OneOf(offered, error=error))
    if kind is AnswerKind.SEVERAL_CHOICES:
        offered = [c["key"] for c in question.offered_choices]
        error = _l("Choisissez parmi les réponses proposées.")
        return fields.List(
            fields.String(),
            required=required,
            validate=validate.ContainsOnly(offered, error=error),
            error_messages={"invalid": error},
        )
    if kind is AnswerKind.YES_NO:
        return fields.Boolean(
            required=required,
            truthy={True, "yes"},
            falsy={False, "no"},
            error_messages={"invalid": _l("Répondez oui ou non.")},
        )
    if kind is AnswerKind.DATE:
        return fields.Date(
            required=required,
            error_messages={"invalid": _l("Une date AAAA-MM-JJ est attendue.")},
        )
    if kind is AnswerKind.NUMBER:
        return fields.Float(
            required=required,
            allow_nan=False,
            validate=_within_bounds(question),
            error_messages={"invalid": _l("Un nombre est attendu.")},
        )
    if kind is AnswerKind.LONG_TEXT:
        return bounded_text(ANSWER_LONG_TEXT_LENGTH, lines=True, required=required)
    return bounded_text(ANSWER_TEXT_LENGTH, required=required)


def _within_bounds(question: RegistrationQuestion) -> list[validate.Validator]:
    """A number question's range, its message naming the bounds as the organiser wrote them."""
    low, high = question.minimum, question.maximum
    if low is None and high is None:
        return []
    # Lazy: the schema is kept between requests, read in each one's language.
    shown = {"min": _plain_number(low), "max": _plain_number(high)}
    if low is not None and high is not None:
        error = _l("Un nombre entre %(min)s et %(max)s est attendu.", **shown)
    elif low is not None:
        error = _l("Un nombre d'au moins %(min)s est attendu.", **shown)
    else:
        error = _l("Un nombre d'au plus %(max)s est attendu.", **shown)
    return [
        validate.Range(
            min=None if low is None else float(low),
            max=None if high is None else float(high),
            error=error,
        )
    ]


def _plain_number(value: Any) -> str:
    """A bound without trailing zeros: 60, 2.5."""
    return "" if value is None else f"{value.normalize():f}"
