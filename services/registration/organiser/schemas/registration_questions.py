"""The questions of an event's registration form as organisers write them: kinds, wording,
help and choices per language, required or not, shown only after a given earlier answer."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from services.registration.fields import slug
from services.registration.organiser.schemas.base import question_row, texts
from shared.domain.indicators import INDICATORS, Indicator
from shared.domain.registration_questions import MAX_QUESTIONS
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES
from shared.models import AnswerKind
from shared.models.registration_questions import CHOICE_KINDS
from shared.slugs import slugify

# On the page, a choice is a line "key = French | English | Ukrainian | Arabic"; "key ="
# may be left out, and a line starting with "#" is hidden from new registrations.
HIDDEN_MARK = "#"
# Before "=", "@category" names the indicator's category the choice counts in.
CATEGORY_MARK = "@"
CHOICE_KEY_LENGTH = 60
MAX_CHOICES = 40
NUMBER_BOUND = 10**9
# The OpenAPI document would state a decimal's range as text ("-1000000000.00"), which is no
# JSON Schema: the bounds are written as the numbers they are.
BOUNDS_DOCUMENTED = {"minimum": -NUMBER_BOUND, "maximum": NUMBER_BOUND}


def _french_required(value: dict[str, str]) -> None:
    """French is the default language: every text of the form is written in French."""
    if not value.get(DEFAULT_LANGUAGE, "").strip():
        raise ValidationError(gettext("Le texte en français est obligatoire."))


class RegistrationChoiceInputSchema(Schema):
    key = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=CHOICE_KEY_LENGTH),
            *slug(_l("Lettres minuscules, chiffres et tirets seulement.")),
        ],
        metadata={"description": "What answers hold; made from the French label if left out"},
    )
    label = texts(200, required=True)
    hidden = fields.Boolean(load_default=False)
    category = fields.String(
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "The category of the question's indicator it counts in"},
    )

    @validates("label")
    def french_label(self, value: dict[str, str], **_kwargs: Any) -> None:
        """Every choice reads in French."""
        _french_required(value)

    @pre_load
    def key_from_label(self, data: Any, **_kwargs: Any) -> Any:
        """A choice written without a key is keyed by its French label."""
        if isinstance(data, dict) and not data.get("key") and isinstance(data.get("label"), dict):
            french = data["label"].get(DEFAULT_LANGUAGE)
            if isinstance(french, str) and slugify(french):
                return {**data, "key": slugify(french)[:CHOICE_KEY_LENGTH].strip("-")}
        return data


class RegistrationConditionSchema(Schema):
    question = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "Position, in this list, of an earlier one-choice question"},
    )
    choice = fields.String(required=True, validate=validate.Length(max=CHOICE_KEY_LENGTH))


class RegistrationQuestionInputSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "Left out for a new question"})
    kind = fields.Enum(AnswerKind, by_value=True, required=True)
    wording = texts(300, required=True)
    help = texts(1000, lines=True)
    required = fields.Boolean(load_default=False)
    hidden = fields.Boolean(load_default=False)
    choices = fields.List(
        fields.Nested(RegistrationChoiceInputSchema), validate=validate.Length(max=MAX_CHOICES)
    )
    minimum = fields.Decimal(
        allow_none=True,
        places=2,
        validate=validate.Range(-NUMBER_BOUND, NUMBER_BOUND),
        metadata=BOUNDS_DOCUMENTED,
    )
    maximum = fields.Decimal(
        allow_none=True,
        places=2,
        validate=validate.Range(-NUMBER_BOUND, NUMBER_BOUND),
        metadata=BOUNDS_DOCUMENTED,
    )
    condition = fields.Nested(RegistrationConditionSchema, allow_none=True)
    indicator = fields.String(
        allow_none=True,
        validate=validate.OneOf(INDICATORS, error=_l("Cet indicateur n'existe pas.")),
        metadata={"description": "The funders' indicator its choices count by"},
    )

    @validates("wording")
    def french_wording(self, value: dict[str, str], **_kwargs: Any) -> None:
        """Every question is asked in French."""
        _french_required(value)

    @validates("choices")
    def distinct_keys(self, value: list[dict[str, Any]], **_kwargs: Any) -> None:
        """Answers hold a choice's key: two choices never share one."""
        # A choice refused for its own fields may lack a key: it has its message already.
        keys = [choice["key"] for choice in value if "key" in choice]
        if len(set(keys)) != len(keys):
            raise ValidationError(gettext("Deux choix ne peuvent pas porter le même nom."))

    @validates_schema
    def fits_its_kind(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Choices belong to choice questions, bounds to numbers."""
        choices = data.get("choices") or []
        if data["kind"] in CHOICE_KINDS and len([c for c in choices if not c["hidden"]]) < 2:
            raise ValidationError(gettext("Proposez au moins deux choix."), "choices")
        if data["kind"] not in CHOICE_KINDS and choices:
            raise ValidationError(gettext("Seules les questions à choix ont des choix."), "choices")
        bounds = [data.get("minimum"), data.get("maximum")]
        if data["kind"] != AnswerKind.NUMBER and any(b is not None for b in bounds):
            raise ValidationError(gettext("Seul un nombre a un minimum et un maximum."), "minimum")
        if None not in bounds and bounds[0] > bounds[1]:
            raise ValidationError(gettext("Le minimum dépasse le maximum."), "maximum")
        if data.get("indicator"):
            _fits_its_indicator(data, INDICATORS[data["indicator"]])


def _fits_its_indicator(data: dict[str, Any], indicator: Indicator) -> None:
    """A question counted by an indicator is a one-choice question whose every choice names
    one of its categories, or a birth date for the age band; one on health or origin is never
    required."""
    if data["kind"] == AnswerKind.DATE and indicator.from_birth_date:
        return
    if data["kind"] != AnswerKind.ONE_CHOICE and indicator.from_birth_date:
        raise ValidationError(
            gettext("La tranche d'âge se compte d'une question à un choix ou d'une date."),
            "indicator",
        )
    if data["kind"] != AnswerKind.ONE_CHOICE:
        raise ValidationError(
            gettext("Une question liée à un indicateur est à un choix."), "indicator"
        )
    if any(choice.get("category") not in indicator.category_keys for choice in data["choices"]):
        raise ValidationError(
            gettext(
                "Chaque choix indique sa catégorie parmi : %(categories)s.",
                categories=", ".join(indicator.category_keys),
            ),
            "choices",
        )
    if indicator.sensitive and data["required"]:
        raise ValidationError(
            gettext("Une question sur la santé ou l'origine reste facultative."), "required"
        )


class RegistrationQuestionsInputSchema(Schema):
    """An event's registration questions, in order, replacing the ones it had."""

    questions = fields.List(
        fields.Nested(RegistrationQuestionInputSchema),
        required=True,
        validate=validate.Length(
            max=MAX_QUESTIONS,
            error=_l("Au plus %(max)s questions.", max=MAX_QUESTIONS),
        ),
    )

    @pre_load
    def from_form(self, data: Any, **_kwargs: Any) -> Any:
        """The editor's rows ``questions-<n>-<field>`` become the list; a row without French
        wording, or marked for removal, is no question."""
        if not hasattr(data, "items") or "questions" in data:
            return data
        rows: dict[int, dict[str, str]] = {}
        for key, value in data.items():
            if (row := question_row(key)) is not None:
                rows.setdefault(row[0], {})[row[1]] = value.strip()
        kept = [
            (number, row)
            for number, row in sorted(rows.items())
            if row.get(DEFAULT_LANGUAGE) and not row.get("remove")
        ]
        index_of = {number: index for index, (number, _row) in enumerate(kept)}
        return {"questions": [_question_from_row(row, index_of) for _number, row in kept]}

    @validates_schema
    def conditions_look_back(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A condition names an earlier one-choice question, itself shown to everyone, and
        one of its choices; each question is listed once."""
        questions = data["questions"]
        errors: dict[int, dict[str, list[str]]] = {}
        ids = [q["id"] for q in questions if q.get("id") is not None]
        for index, question in enumerate(questions):
            if question.get("id") is not None and ids.count(question["id"]) > 1:
                errors[index] = {"id": [gettext("Cette question est déjà dans la liste.")]}
            condition = question.get("condition")
            if not condition:
                continue
            earlier = questions[condition["question"]] if condition["question"] < index else None
            if (
                earlier is None
                or earlier["kind"] != AnswerKind.ONE_CHOICE
                or earlier.get("condition")
            ):
                message = gettext(
                    "La condition porte sur une question à un choix posée plus haut, "
                    "elle-même sans condition."
                )
                errors[index] = {"condition": [message]}
            elif condition["choice"] not in {c["key"] for c in earlier.get("choices") or []}:
                errors[index] = {"condition": [gettext("Ce choix n'existe pas.")]}
        if errors:
            raise ValidationError({"questions": errors})


def _question_from_row(row: dict[str, str], index_of: dict[int, int]) -> dict[str, Any]:
    """One editor row as the API writes a question."""
    question: dict[str, Any] = {
        "kind": row.get("kind", ""),
        "wording": {lang: row[lang] for lang in LANGUAGES if row.get(lang)},
        "help": {lang: row[f"help_{lang}"] for lang in LANGUAGES if row.get(f"help_{lang}")},
        "required": bool(row.get("required")),
        "hidden": bool(row.get("hidden")),
        "choices": [_choice_from_line(line) for line in row.get("choices", "").splitlines()],
    }
    question["choices"] = [choice for choice in question["choices"] if choice]
    if row.get("id"):
        question["id"] = row["id"]
    if row.get("indicator"):
        question["indicator"] = row["indicator"]
    for bound in ("minimum", "maximum"):
        if row.get(bound):
            question[bound] = row[bound]
    number, _, choice = row.get("condition", "").partition(":")
    if number.isdigit():
        # A condition on a row left out points past the list, and is refused as such.
        question["condition"] = {"question": index_of.get(int(number), 10**6), "choice": choice}
    return question


def _choice_from_line(line: str) -> dict[str, Any]:
    """A line of the choices' box as a choice; an empty line is none."""
    line = line.strip()
    hidden = line.startswith(HIDDEN_MARK)
    line = line.removeprefix(HIDDEN_MARK).strip()
    if not line:
        return {}
    key, equals, labels = line.partition("=")
    if not equals:
        key, labels = "", line
    texts = [text.strip() for text in labels.split("|")]
    choice: dict[str, Any] = {
        "label": {lang: text for lang, text in zip(LANGUAGES, texts, strict=False) if text},
        "hidden": hidden,
    }
    names = key.split()
    category = next((n for n in names if n.startswith(CATEGORY_MARK)), None)
    if category:
        choice["category"] = category.removeprefix(CATEGORY_MARK)
    if key_name := next((n for n in names if not n.startswith(CATEGORY_MARK)), ""):
        choice["key"] = key_name
    return choice


def choice_lines(choices: list[dict[str, Any]]) -> str:
    """The choices as the editor's box shows them, one line each."""
    return "\n".join(
        (HIDDEN_MARK if choice.get("hidden") else "")
        + choice["key"]
        + (f" {CATEGORY_MARK}{choice['category']}" if choice.get("category") else "")
        + " = "
        + " | ".join(choice["label"].get(lang, "") for lang in LANGUAGES).rstrip(" |")
        for choice in choices
    )


class RegistrationChoiceSchema(Schema):
    key = fields.String()
    label = fields.Dict(keys=fields.String(), values=fields.String())
    hidden = fields.Boolean()
    category = fields.String(allow_none=True)


class RegistrationQuestionSchema(Schema):
    id = fields.Integer()
    kind = fields.Enum(AnswerKind, by_value=True)
    wording = fields.Dict(keys=fields.String(), values=fields.String())
    help = fields.Dict(keys=fields.String(), values=fields.String())
    required = fields.Boolean()
    hidden = fields.Boolean()
    choices = fields.List(fields.Nested(RegistrationChoiceSchema))
    minimum = fields.Decimal(as_string=True, allow_none=True)
    maximum = fields.Decimal(as_string=True, allow_none=True)
    condition = fields.Method("condition_of", allow_none=True)
    indicator = fields.String(allow_none=True)

    def condition_of(self, question: Any) -> dict[str, Any] | None:
        """The earlier question's position and the choice that shows this one."""
        if question.condition_question is None:
            return None
        return {
            "question": question.condition_question.position,
            "choice": question.condition_choice,
        }


class RegistrationQuestionsSchema(Schema):
    questions = fields.List(fields.Nested(RegistrationQuestionSchema))
    answered = fields.List(
        fields.Integer(),
        metadata={"description": "Questions with answers: their kind and choices are kept"},
    )
