"""Marshmallow fields and validators that the schemas of every audience share."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from shared.database import MAX_ROW_ID
from shared.i18n import BRUSSELS, LANGUAGES, current_language
from shared.slugs import SLUG_MAX_LENGTH, SLUG_PATTERN

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


def local_iso(moment: datetime) -> str:
    """A moment as the API writes it: in Brussels time, with its UTC offset."""
    return moment.astimezone(BRUSSELS).isoformat()


class LocalDateTime(fields.DateTime):
    """An aware datetime written in Brussels time with its UTC offset."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else local_iso(value)


class Money(fields.Decimal):
    """An amount in euros, written as a string ("12.50") so that no cent is lost to floats;
    the API documents it as a decimal string (see ``create_app``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(as_string=True, **kwargs)


def row_id(**kwargs: Any) -> fields.Integer:
    """The id of a row the request names: a number no row can have (below 1, or beyond a
    32-bit key either way) is refused here rather than overflowing the database driver."""
    unknown = validate.Range(min=1, max=MAX_ROW_ID, error=_l("Cette ressource n'existe pas."))
    return fields.Integer(validate=unknown, **kwargs)


def localized(attribute: str) -> fields.Function:
    """A translated text field of an event, written in the request's language."""
    return fields.Function(lambda event: event.localized(attribute, current_language()))


LANGUAGE = validate.OneOf(LANGUAGES, error=_l("Langue non prise en charge."))


# Control characters, and lone surrogates that no database can store: a name, an address or a
# title holds none (a C1 control is what a curly quote becomes when text pasted from
# Windows-1252 is read as Latin-1; it prints as a box on a certificate).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same, except the line breaks and tabs a text of several lines holds.
CONTROL_CHARACTERS_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class NoControlCharacters(validate.Validator):
    """Refuses text holding control characters; ``lines`` lets line breaks and tabs through."""

    def __init__(self, *, lines: bool = False) -> None:
        self.pattern = CONTROL_CHARACTERS_IN_LINES if lines else CONTROL_CHARACTERS

    def __call__(self, value: str) -> str:
        """The value, unless it holds a control character."""
        if self.pattern.search(value):
            raise ValidationError(gettext("Les caractères de contrôle ne sont pas acceptés."))
        return value


def bounded_text(
    maximum: int,
    *,
    lines: bool = False,
    validators: Iterable[validate.Validator] = (),
    **kwargs: Any,
) -> fields.String:
    """Text of at most ``maximum`` characters without control characters (a name, an address, a
    title; with ``lines``, a text of several lines), checked by ``validators`` first."""
    return fields.String(
        validate=[*validators, validate.Length(max=maximum), NoControlCharacters(lines=lines)],
        **kwargs,
    )


def slug(error: LazyString) -> list[validate.Validator]:
    """The validators of a slug field, ``error`` saying what a malformed one is."""
    return [
        validate.Length(max=SLUG_MAX_LENGTH),
        validate.Regexp(SLUG_PATTERN, error=error),
    ]


# Every slug an organiser writes: an event's, a group's.
SLUG = slug(_l("Lettres minuscules, chiffres et tirets seulement."))


def form_values(data: Any, *, checkboxes: Iterable[str], choices: Iterable[str]) -> Any:
    """A submitted form as its schema reads it: a ticked checkbox is True and an unticked one,
    which browsers leave out, False; an option left unchosen (empty) is absent; a date's id
    becomes a number."""
    if not isinstance(data, Mapping):
        return data
    values = data.to_dict() if isinstance(data, MultiDict) else dict(data)
    for checkbox in checkboxes:
        values[checkbox] = checkbox in data
    for choice in choices:
        if values.get(choice) == "":
            del values[choice]
    date = values.get("date")
    if isinstance(date, str) and date.isdigit():
        values["date"] = int(date)
    return values
