"""Evaluations of a training: each event's questionnaire, the invitations sent to those who
attended, and the answers, which nothing in the database ties to a person.

Owner: the registration service.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.database import Base, str_enum
from shared.i18n import DEFAULT_LANGUAGE
from shared.models.events import Event, Group
from shared.models.registrations import Registration


class QuestionKind(enum.StrEnum):
    """How a question is answered: a rating from 1 to 5, yes or no, or a free text."""

    RATING = "rating"
    YES_NO = "yes_no"
    TEXT = "text"


class EvaluationQuestion(Base):
    """One question of an event's questionnaire, its wording in each language."""

    __tablename__ = "evaluation_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind, "question_kind"))
    wording: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    event: Mapped[Event] = relationship(back_populates="questions")

    def text(self, language: str) -> str:
        """The question in ``language``, falling back to French."""
        return self.wording.get(language) or self.wording.get(DEFAULT_LANGUAGE) or ""


class EvaluationInvitation(Base):
    """A participant's invitation to evaluate: the digest of their personal link's token, and
    nothing about whether, when or how it was used."""

    __tablename__ = "evaluation_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    # The link's token is derived from this and the secret key, so that no table holds it;
    # forgotten once the invitation was sent, so that nobody can derive it again.
    nonce: Mapped[str | None] = mapped_column(String(64))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)

    registration: Mapped[Registration] = relationship()


class EvaluationAnswer(Base):
    """One participant's answers, found again only through their link's token: its key is a
    keyed digest of that token. It names the group, for figures per town, and nobody."""

    __tablename__ = "evaluation_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    # Each answered question's id (as text) and its answer: 1–5, true or false, or a text.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    group: Mapped[Group] = relationship()
