"""Every input and output of the organiser area, API and forms alike, with all validation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from services.registration.audit import JOURNAL_PAGE, action_label
from services.registration.fields import (
    LANGUAGE,
    LocalDateTime,
    Money,
    NoControlCharacters,
    bounded_text,
    form_values,
    localized,
    row_id,
    slug,
)
from services.registration.participant.schemas import RegistrationCreateSchema, email_address
from shared.database import MAX_ROW_ID
from shared.domain.attendance import is_held
from shared.domain.evaluations import MIN_ANSWERS_SHOWN
from shared.i18n import BRUSSELS, LANGUAGES, current_language
from shared.models import AttendanceRule, EventKind, QuestionKind, Role

SLUG = slug(_l("Lettres minuscules, chiffres et tirets seulement."))
TEXT_LANGUAGE_FIELDS = ("title", "description", "prerequisites", "signatory_role")
MAX_CAPACITY = 10_000


# Far from these years, Brussels time had offsets in seconds that no ISO 8601 reader takes.
EARLIEST = datetime(2000, 1, 1, tzinfo=BRUSSELS)
LATEST = datetime(2100, 1, 1, tzinfo=BRUSSELS)


class BrusselsDateTime(LocalDateTime):
    """A datetime written in Brussels time; one without an offset (a form's datetime-local)
    is read as Brussels wall-clock time. Only this century's dates are plausible."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        moment = moment.replace(tzinfo=BRUSSELS) if moment.tzinfo is None else moment
        if not EARLIEST <= moment < LATEST:
            raise ValidationError(gettext("Choisissez une date entre 2000 et 2099."))
        return moment


def _texts(maximum: int, *, required: bool = False, lines: bool = False) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=LANGUAGE),
        values=bounded_text(maximum, lines=lines),
        required=required,
    )


def fold_languages(data: Any) -> Any:
    """Form inputs ``title_fr``, ``title_en``… become ``{"title": {"fr": …, "en": …}}``;
    blank inputs are dropped so that optional fields stay absent."""
    if not hasattr(data, "items"):
        return data
    folded: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        name, _, language = key.rpartition("_")
        if name in TEXT_LANGUAGE_FIELDS and language in LANGUAGES:
            folded.setdefault(name, {})[language] = value
        elif key != "csrf_token":
            folded[key] = value
    return folded


class FormSchema(Schema):
    """Reads JSON bodies and HTML forms alike."""

    @pre_load
    def from_form(self, data: Any, **_kwargs: Any) -> Any:
        """Accept the flat fields of the HTML form as well as JSON."""
        return fold_languages(data)


class EventInputSchema(FormSchema):
    slug = fields.String(required=True, validate=SLUG)
    title = _texts(300, required=True)
    description = _texts(5000, lines=True)
    prerequisites = _texts(1000, lines=True)
    kind = fields.Enum(EventKind, by_value=True, required=True)
    attendance_rule = fields.Enum(AttendanceRule, by_value=True, required=True)
    language = fields.String(validate=LANGUAGE)
    registration_opens_at = BrusselsDateTime(allow_none=True)
    registration_closes_at = BrusselsDateTime(allow_none=True)
    organiser_contact = bounded_text(500, lines=True)
    price = Money(places=2, validate=validate.Range(min=0))
    issuer = bounded_text(200)
    signatory_name = bounded_text(200)
    signatory_role = _texts(200)

    @validates("title")
    def french_title(self, value: dict[str, str], **_kwargs: Any) -> None:
        """French is the default language: every event has a French title."""
        if not value.get("fr", "").strip():
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


class GroupInputSchema(VenueSchema):
    slug = fields.String(validate=SLUG)
    name = fields.String(
        required=True, validate=[validate.Length(min=1, max=200), NoControlCharacters()]
    )
    position = fields.Integer(validate=validate.Range(min=0, max=MAX_ROW_ID))
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY))
    dates = fields.List(fields.Nested(DateInputSchema))


class GroupUpdateSchema(VenueSchema):
    name = fields.String(validate=[validate.Length(min=1, max=200), NoControlCharacters()])
    position = fields.Integer(validate=validate.Range(min=0, max=MAX_ROW_ID))


class AttendanceInputSchema(FormSchema):
    date = row_id(required=True)
    present = fields.Boolean(required=True)


class PresenceMarkSchema(FormSchema):
    registration = row_id(required=True)
    present = fields.Boolean(required=True)


class MoveInputSchema(FormSchema):
    group = fields.String(required=True, validate=validate.Length(min=1, max=80))
    date = row_id(allow_none=True, load_default=None)


class CapacityInputSchema(FormSchema):
    # Null (API only) means a group without a limit.
    capacity = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY)
    )


PAPER_CONSENT_NEEDED = _l(
    "La personne doit avoir signé le formulaire papier : sa signature vaut consentement."
)


class WalkInInputSchema(RegistrationCreateSchema):
    """Someone who signed the paper form, added by an organiser: a registration's fields and
    rules, the signed form standing for the online consent and the commitment to every date."""

    class Meta:
        exclude = ("group", "consent", "commit_all_dates")

    # Missing or unticked, the answer is the same: the signature is what is asked for.
    consent_on_paper = fields.Boolean(
        required=True, error_messages={"required": PAPER_CONSENT_NEEDED}
    )
    over_capacity = fields.Boolean(load_default=False)
    notify = fields.Boolean(load_default=True)

    @validates("consent_on_paper")
    def signed_on_paper(self, value: bool, **_kwargs: Any) -> None:
        """Without the signed form there is no consent to keep the person's data."""
        if value is not True:
            raise ValidationError(str(PAPER_CONSENT_NEEDED))


class WalkInFormSchema(WalkInInputSchema):
    """The roster page's form for the same: the API's fields and rules, as a browser sends them."""

    class Meta(WalkInInputSchema.Meta):
        unknown = EXCLUDE  # the CSRF token

    @pre_load
    def from_form(self, data: Any, **_kwargs: Any) -> Any:
        """An unticked checkbox is simply absent; an unchosen option is empty."""
        return form_values(
            data,
            checkboxes=("consent_on_paper", "over_capacity", "notify"),
            choices=("role", "language", "date"),
        )


# --- Outputs ----------------------------------------------------------------------------


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
    issuer = fields.String()
    signatory_name = fields.String()
    signatory_role = fields.Dict()
    groups = fields.List(fields.Nested(OrganiserGroupSchema))


class OrganiserEventSummarySchema(Schema):
    slug = fields.String()
    title = localized("title")


class ParticipantSchema(Schema):
    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)
    role = fields.Enum(Role, by_value=True)
    language = fields.String()
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    group = fields.Function(lambda r: r.group.slug)


class RosterLineSchema(Schema):
    participant = fields.Nested(ParticipantSchema, attribute="registration")
    presence = fields.Function(
        lambda line: [{"date": date_id, "present": mark} for date_id, mark in line.presence.items()]
    )
    completed = fields.Boolean()


class RosterSchema(Schema):
    event = fields.Function(lambda roster: roster.event.slug)
    group = fields.Nested(OrganiserGroupSummarySchema)
    dates = fields.List(fields.Nested(OrganiserDateSchema))
    capacity = fields.Function(lambda roster: roster.group.capacity)
    confirmed_count = fields.Function(lambda roster: len(roster.confirmed))
    waitlist_length = fields.Function(lambda roster: len(roster.waiting))
    places_left = fields.Integer(allow_none=True)
    confirmed = fields.List(fields.Nested(RosterLineSchema))
    waiting = fields.List(fields.Nested(ParticipantSchema))


class AttendanceSchema(Schema):
    registration = fields.Integer(attribute="registration_id")
    date = fields.Integer(attribute="session_date_id")
    present = fields.Boolean()
    marked_at = LocalDateTime()


class DateFiguresSchema(Schema):
    date = fields.Nested(OrganiserDateSchema, attribute="session_date")
    present = fields.Integer()
    expected = fields.Integer()
    rate = fields.Float(allow_none=True)


class GroupFiguresSchema(Schema):
    group = fields.Function(lambda f: f.group.slug)
    town = fields.Function(lambda f: f.group.town)
    capacity = fields.Function(lambda f: f.group.capacity)
    confirmed = fields.Integer()
    waitlisted = fields.Integer()
    places_left = fields.Integer(allow_none=True)
    completed = fields.Integer()
    completion_rate = fields.Float(allow_none=True)
    dates = fields.List(fields.Nested(DateFiguresSchema))


class DashboardSchema(Schema):
    event = fields.Function(lambda d: d.event.slug)
    confirmed = fields.Integer()
    waitlisted = fields.Integer()
    completion_rate = fields.Float(allow_none=True)
    groups = fields.List(fields.Nested(GroupFiguresSchema))


class IssuedCertificateSchema(Schema):
    code = fields.String()
    issued_at = LocalDateTime()
    revoked_at = LocalDateTime(allow_none=True)


# --- Evaluations -------------------------------------------------------------------------

MAX_QUESTIONS = 20
QUESTION_FORM_PREFIX = "questions-"


def question_row(key: str) -> tuple[int, str] | None:
    """The row number and field of an editor input ``questions-<n>-<field>``, else None."""
    number, _, name = key.removeprefix(QUESTION_FORM_PREFIX).partition("-")
    if key.startswith(QUESTION_FORM_PREFIX) and number.isdigit():
        return int(number), name
    return None


class QuestionInputSchema(Schema):
    kind = fields.Enum(QuestionKind, by_value=True, required=True)
    wording = _texts(300, required=True)

    @validates("wording")
    def french_wording(self, value: dict[str, str], **_kwargs: Any) -> None:
        """French is the default language: every question is asked in French."""
        if not value.get("fr", "").strip():
            raise ValidationError(gettext("La question en français est obligatoire."))


class QuestionnaireInputSchema(Schema):
    """An event's questions, in order, replacing the ones it had."""

    questions = fields.List(
        fields.Nested(QuestionInputSchema),
        required=True,
        validate=validate.Length(
            min=1,
            max=MAX_QUESTIONS,
            error=_l("Entre %(min)s et %(max)s questions.", min=1, max=MAX_QUESTIONS),
        ),
    )

    @pre_load
    def from_form(self, data: Any, **_kwargs: Any) -> Any:
        """The editor's rows ``questions-<n>-kind``, ``questions-<n>-fr``… become the list;
        a row left blank or marked for removal is no question."""
        if not hasattr(data, "items") or "questions" in data:
            return data
        rows: dict[int, dict[str, str]] = {}
        for key, value in data.items():
            if (row := question_row(key)) is not None:
                number, name = row
                rows.setdefault(number, {})[name] = value.strip()
        questions = []
        for _number, row in sorted(rows.items()):
            wording = {lang: row[lang] for lang in LANGUAGES if row.get(lang)}
            if wording and not row.get("remove"):
                questions.append({"kind": row.get("kind", ""), "wording": wording})
        return {"questions": questions}


class QuestionSchema(Schema):
    id = fields.Integer(allow_none=True)
    kind = fields.Enum(QuestionKind, by_value=True)
    wording = fields.Dict(keys=fields.String(), values=fields.String())


class QuestionnaireSchema(Schema):
    frozen = fields.Boolean()
    questions = fields.List(fields.Nested(QuestionSchema))


class QuestionFiguresSchema(Schema):
    """One question's figures; each kind shows its own."""

    question = fields.Function(lambda f: f.question.id)
    kind = fields.Function(lambda f: f.question.kind.value)
    text = fields.Function(lambda f: f.question.text(current_language()))
    answers = fields.Integer()
    average = fields.Float(allow_none=True)
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer())
    yes = fields.Integer()
    no = fields.Integer()
    texts = fields.List(fields.String())

    @post_dump
    def only_its_kind(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """A rating has an average and a distribution, a yes/no question its counts, a free
        question its texts."""
        own = {
            "rating": ("average", "distribution"),
            "yes_no": ("yes", "no"),
            "text": ("texts",),
        }[data["kind"]]
        dropped = {"average", "distribution", "yes", "no", "texts"} - set(own)
        return {key: value for key, value in data.items() if key not in dropped}


class ScopeFiguresSchema(Schema):
    """A group's evaluation figures, or the event's; hidden below the anonymity threshold."""

    group = fields.Function(lambda s: s.group.slug if s.group else None)
    town = fields.Function(lambda s: s.group.town if s.group else None)
    invited = fields.Integer()
    hidden = fields.Boolean()
    answered = fields.Integer(attribute="shown_answers", allow_none=True)
    response_rate = fields.Float(allow_none=True)
    questions = fields.List(fields.Nested(QuestionFiguresSchema), attribute="shown_questions")


class EvaluationFiguresSchema(Schema):
    event = fields.Function(lambda f: f.event.slug)
    minimum_answers = fields.Constant(MIN_ANSWERS_SHOWN)
    overall = fields.Nested(ScopeFiguresSchema)
    groups = fields.List(fields.Nested(ScopeFiguresSchema))


# --- Accounts: invitations, teams, passwords, second factor, tokens --------------------------

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200


class AccountFormSchema(Schema):
    """What the account forms share: the CSRF token of a page form is not a field."""

    class Meta:
        unknown = EXCLUDE


class NewPasswordSchema(AccountFormSchema):
    """A new password, typed twice (the API takes it once)."""

    password = fields.String(
        required=True,
        validate=validate.Length(
            min=PASSWORD_MIN_LENGTH,
            max=PASSWORD_MAX_LENGTH,
            error=_l(
                "Choisissez un mot de passe de %(min)s à %(max)s caractères.",
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
            ),
        ),
    )
    password_confirmation = fields.String(load_default=None)

    @validates_schema
    def typed_twice_alike(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The confirmation, when there is one, repeats the password."""
        confirmation = data.get("password_confirmation")
        if confirmation is not None and confirmation != data.get("password"):
            raise ValidationError(
                gettext("Les deux mots de passe ne sont pas identiques."), "password_confirmation"
            )


class InvitationAcceptSchema(NewPasswordSchema):
    name = bounded_text(200, load_default="")


class PasswordChangeSchema(NewPasswordSchema):
    current_password = fields.String(
        required=True, validate=validate.Length(max=PASSWORD_MAX_LENGTH)
    )


class PasswordForgottenSchema(AccountFormSchema):
    email = email_address()


class SecondFactorSchema(AccountFormSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))


class PasswordCheckSchema(AccountFormSchema):
    password = fields.String(required=True, validate=validate.Length(max=PASSWORD_MAX_LENGTH))


class InvitationInputSchema(AccountFormSchema):
    email = email_address()
    events = fields.List(
        fields.String(validate=SLUG),
        required=True,
        validate=validate.Length(min=1, max=100, error=_l("Choisissez au moins un événement.")),
    )
    language = fields.String(validate=LANGUAGE, load_default=None)


class TeamInviteSchema(AccountFormSchema):
    email = email_address()
    language = fields.String(validate=LANGUAGE, load_default=None)


class AccountChangeSchema(AccountFormSchema):
    active = fields.Boolean()
    is_admin = fields.Boolean()


class TokenInputSchema(AccountFormSchema):
    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=100),
            NoControlCharacters(),
        ],
    )


class TeamMemberSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    is_admin = fields.Boolean()
    active = fields.Boolean(attribute="is_active")


class OrganiserAccountSchema(TeamMemberSchema):
    two_factor = fields.Boolean(attribute="has_two_factor")
    created_at = fields.DateTime()
    events = fields.Pluck(OrganiserEventSummarySchema, "slug", many=True)


class InvitationSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    language = fields.String()
    events = fields.Pluck(OrganiserEventSummarySchema, "slug", many=True)
    invited_by = fields.Function(lambda i: i.invited_by.email if i.invited_by else None)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()


class InvitedSchema(Schema):
    """What inviting did: ``invitation`` sent, or ``account`` (already there) given the events."""

    invitation = fields.Nested(InvitationSchema, allow_none=True)
    account = fields.Nested(TeamMemberSchema, allow_none=True)


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "The token itself, shown this once"})


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
