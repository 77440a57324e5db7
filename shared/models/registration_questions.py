"""The questions an event's organisers add to its registration form, and each registration's
answers to them.

Owner: the registration service.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import Base, str_enum
from shared.i18n import DEFAULT_LANGUAGE
from shared.models.events import Event
from shared.models.registrations import Registration


class AnswerKind(enum.StrEnum):
    """How a registration question is answered."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    ONE_CHOICE = "one_choice"
    SEVERAL_CHOICES = "several_choices"
    YES_NO = "yes_no"
    DATE = "date"
    NUMBER = "number"
    COUNTRY = "country"


CHOICE_KINDS = (AnswerKind.ONE_CHOICE, AnswerKind.SEVERAL_CHOICES)


def in_language(texts: dict[str, str] | None, language: str) -> str:
    """A text written per language, in ``language`` or else in French."""
    texts = texts or {}
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE) or ""


class RegistrationQuestion(Base):
    """One question of an event's registration form, worded in each language.

    ``choices`` lists ``{"key", "label": {language: text}, "hidden"}``: the key is what
    answers hold, so labels may be reworded; a hidden choice is offered to nobody new but
    keeps its answers. A question may be shown only when an earlier one-choice question was
    answered with ``condition_choice``."""

    __tablename__ = "registration_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[AnswerKind] = mapped_column(str_enum(AnswerKind, "answer_kind"))
    wording: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    help: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Hidden from new registrations, kept with its answers.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    minimum: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    maximum: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    condition_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration_questions.id", ondelete="SET NULL")
    )
    condition_choice: Mapped[str | None] = mapped_column(String(60))
    # The funders' indicator it counts by (shared.domain.indicators); each choice then names
    # its ``category``.
    indicator: Mapped[str | None] = mapped_column(String(40))

    event: Mapped[Event] = relationship(back_populates="registration_questions")
    condition_question: Mapped[RegistrationQuestion | None] = relationship(
        remote_side="RegistrationQuestion.id", post_update=True
    )

    def text(self, language: str) -> str:
        """The question in ``language``, falling back to French."""
        return in_language(self.wording, language)

    def help_text(self, language: str) -> str:
        """The question's help in ``language``, falling back to French."""
        return in_language(self.help, language)

    @property
    def offered_choices(self) -> list[dict[str, Any]]:
        """The choices new registrations may pick."""
        return [choice for choice in self.choices or [] if not choice.get("hidden")]

    def choice_label(self, key: str, language: str) -> str:
        """What a choice reads in ``language``; the key itself for one no longer listed."""
        for choice in self.choices or []:
            if choice["key"] == key:
                return in_language(choice["label"], language)
        return key


class RegistrationAnswer(Base):
    """A registration's answer to one question: a text, a list of choice keys, a boolean,
    an ISO date, a number or a country code, as the question's kind says."""

    __tablename__ = "registration_answers"
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("registration_questions.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[Any] = mapped_column(JSON)

    registration: Mapped[Registration] = relationship(back_populates="answers")
    question: Mapped[RegistrationQuestion] = relationship()
