"""Rosters, presence, places and walk-ins: what organisers send about registrations, and the
rosters and figures the API answers."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
)

from services.registration.fields import (
    LocalDateTime,
    form_values,
    row_id,
)
from services.registration.organiser.schemas.base import FormSchema
from services.registration.organiser.schemas.events import (
    MAX_CAPACITY,
    OrganiserDateSchema,
    OrganiserGroupSummarySchema,
)
from services.registration.participant.schemas import (
    RegistrationCreateSchema,
    with_form_answers,
)
from shared.models import Role
from shared.paging import Cursor, PageArgsSchema


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
        """An unticked checkbox is simply absent; an unchosen option is empty; the inputs
        ``answer-<id>`` are the answers."""
        values = form_values(
            data,
            checkboxes=("consent_on_paper", "over_capacity", "notify"),
            choices=("role", "language", "date"),
        )
        return with_form_answers(values, data)


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
    answers = fields.Function(
        lambda line: {str(question_id): value for question_id, value in line.answers.items()},
        metadata={"description": "Answers to the event's own questions, by question id"},
    )


class RosterQuestionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    wording = fields.Dict(keys=fields.String(), values=fields.String())
    hidden = fields.Boolean()


class RosterSchema(Schema):
    event = fields.Function(lambda roster: roster.event.slug)
    group = fields.Nested(OrganiserGroupSummarySchema)
    dates = fields.List(fields.Nested(OrganiserDateSchema))
    capacity = fields.Function(lambda roster: roster.group.capacity)
    confirmed_count = fields.Integer()
    waitlist_length = fields.Function(lambda roster: len(roster.waiting))
    places_left = fields.Integer(allow_none=True)
    questions = fields.List(fields.Nested(RosterQuestionSchema))
    confirmed = fields.List(
        fields.Nested(RosterLineSchema),
        metadata={"description": "One page of the confirmed participants, by name"},
    )
    waiting = fields.List(fields.Nested(ParticipantSchema))
    next = fields.String(
        allow_none=True,
        metadata={"description": "The cursor of the next page of confirmed, null on the last"},
    )


class RosterArgsSchema(PageArgsSchema):
    cursor = Cursor(str, str, int, description="The previous page's `next`: the page after it")


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
