"""What the organiser schemas share: texts in several languages, Brussels time, forms read
like JSON bodies, and the rows of the question editors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
)

from services.registration.fields import (
    LANGUAGE,
    LocalDateTime,
    bounded_text,
)
from shared.i18n import BRUSSELS, LANGUAGES

TEXT_LANGUAGE_FIELDS = ("title", "description", "prerequisites", "signatory_role")
# A question editor's inputs are named questions-<row>-<field>.
QUESTION_FORM_PREFIX = "questions-"


def question_row(key: str) -> tuple[int, str] | None:
    """The row number and field of an editor input ``questions-<n>-<field>``, else None."""
    number, _, name = key.removeprefix(QUESTION_FORM_PREFIX).partition("-")
    if key.startswith(QUESTION_FORM_PREFIX) and number.isdigit():
        return int(number), name
    return None


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


def texts(maximum: int, *, required: bool = False, lines: bool = False) -> fields.Dict:
    """A text in each language the organiser wrote it in, each at most ``maximum`` long."""
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
