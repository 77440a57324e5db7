"""An event's evaluation questionnaire as organisers write it, and the anonymous figures of
its answers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_dump,
    pre_load,
    validate,
    validates,
)

from services.registration.organiser.schemas.base import question_row, texts
from shared.domain.evaluations import MIN_ANSWERS_SHOWN
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from shared.models import QuestionKind

MAX_QUESTIONS = 20


class QuestionInputSchema(Schema):
    kind = fields.Enum(QuestionKind, by_value=True, required=True)
    wording = texts(300, required=True)

    @validates("wording")
    def french_wording(self, value: dict[str, str], **_kwargs: Any) -> None:
        """French is the default language: every question is asked in French."""
        if not value.get(DEFAULT_LANGUAGE, "").strip():
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
