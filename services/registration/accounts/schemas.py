"""Every input and output of the accounts' API and forms: invitations, teams, passwords,
the second factor and tokens, with all validation."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from services.registration.fields import (
    LANGUAGE,
    SLUG,
    NoControlCharacters,
    bounded_text,
    email_address,
)
from shared.domain.accounts import TOKEN_LIFETIME_DAYS, TOKEN_LONGEST_LIFETIME_DAYS
from shared.paging import Cursor, PageArgsSchema

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
    """A new token: its name and lifetime, with the password (and the second factor's code
    when the account has one) that prove its owner asks for it."""

    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=100),
            NoControlCharacters(),
        ],
    )
    days = fields.Integer(
        load_default=TOKEN_LIFETIME_DAYS,
        strict=False,
        validate=validate.Range(
            min=1,
            max=TOKEN_LONGEST_LIFETIME_DAYS,
            error=_l(
                "Choisissez une durée de %(min)s à %(max)s jours.",
                min=1,
                max=TOKEN_LONGEST_LIFETIME_DAYS,
            ),
        ),
        metadata={"description": "Days the token works, 90 unless chosen"},
    )
    password = fields.String(required=True, validate=validate.Length(max=PASSWORD_MAX_LENGTH))
    code = fields.String(
        load_default="",
        validate=validate.Length(max=20),
        metadata={"description": "The second factor's code, when the account has one"},
    )


class EventSlugSchema(Schema):
    """An event as an invitation or an account names it: by its slug."""

    slug = fields.String()


class TeamMemberSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    is_admin = fields.Boolean()
    active = fields.Boolean(attribute="is_active")


class AccountsArgsSchema(PageArgsSchema):
    cursor = Cursor(str, int, description="The previous page's `next`: the page after it")


class OrganiserAccountSchema(TeamMemberSchema):
    two_factor = fields.Boolean(attribute="has_two_factor")
    created_at = fields.DateTime()
    events = fields.Pluck(EventSlugSchema, "slug", many=True)


class InvitationSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    language = fields.String()
    events = fields.Pluck(EventSlugSchema, "slug", many=True)
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
    expires_at = fields.DateTime()


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "The token itself, shown this once"})


class PlanningFeedSchema(Schema):
    link = fields.String(
        metadata={"description": "The organiser's planning feed, to subscribe to; keep it private"}
    )
