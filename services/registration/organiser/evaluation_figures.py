"""An event's evaluation in figures, per group and for the whole event: response rate, each
rating's average and distribution, the yes/no counts and the free texts.

A group with fewer answers than the anonymity threshold shows none of them, not even how
many there are: with one or two answers, who said what could be guessed. The event's figures
gather only the groups shown, or subtracting the others from them would reveal the rest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.registration.organiser.dashboard import rate
from shared.domain.evaluations import MIN_ANSWERS_SHOWN, RATING_SCALE, questionnaire
from shared.models import (
    EvaluationAnswer,
    EvaluationInvitation,
    EvaluationQuestion,
    Event,
    Group,
    QuestionKind,
    Registration,
)


@dataclass
class QuestionFigures:
    """What the answers to one question add up to."""

    question: EvaluationQuestion
    answers: int = 0
    ratings: Counter[int] = field(default_factory=Counter)
    yes: int = 0
    no: int = 0
    texts: list[str] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        """The mean rating to one decimal, for a rating question that was answered."""
        count = sum(self.ratings.values())
        total = sum(value * n for value, n in self.ratings.items())
        return round(total / count, 1) if count else None

    @property
    def distribution(self) -> dict[int, int]:
        """How many chose each rating, from 1 to 5."""
        return {value: self.ratings[value] for value in RATING_SCALE}


@dataclass
class ScopeFigures:
    """A group's figures, or the whole event's (``group`` None)."""

    group: Group | None
    invited: int
    answered: int
    questions: list[QuestionFigures]

    @property
    def hidden(self) -> bool:
        """Too few answers to show any figure without pointing at who gave them."""
        return self.answered < MIN_ANSWERS_SHOWN

    @property
    def shown_answers(self) -> int | None:
        """How many answered, unless hidden."""
        return None if self.hidden else self.answered

    @property
    def response_rate(self) -> float | None:
        """Answers among invitations, unless hidden."""
        return None if self.hidden else rate(self.answered, self.invited)

    @property
    def shown_questions(self) -> list[QuestionFigures]:
        """Each question's figures, unless hidden."""
        return [] if self.hidden else self.questions


@dataclass
class EvaluationFigures:
    """An event's questionnaire and its figures per group, and for the groups shown together."""

    event: Event
    questions: list[EvaluationQuestion]
    groups: list[ScopeFigures]
    overall: ScopeFigures


def evaluation_figures(session: Session, event: Event) -> EvaluationFigures:
    """The event's evaluation figures, its groups in the event's order."""
    questions = questionnaire(event)
    invited = dict(
        session.execute(
            select(Registration.group_id, func.count(EvaluationInvitation.id))
            .join(Registration, EvaluationInvitation.registration_id == Registration.id)
            .where(Registration.event_id == event.id)
            .group_by(Registration.group_id)
        ).all()
    )
    groups = [g for g in event.groups if not g.is_cancelled]
    answers = session.execute(
        select(EvaluationAnswer.group_id, EvaluationAnswer.answers).where(
            EvaluationAnswer.group_id.in_([g.id for g in groups])
        )
    ).all()
    by_group = [
        _scope(group, invited.get(group.id, 0), [a for g, a in answers if g == group.id], questions)
        for group in groups
    ]
    shown = [scope for scope in by_group if not scope.hidden]
    shown_ids = {scope.group.id for scope in shown if scope.group}
    overall = _scope(
        None,
        sum(scope.invited for scope in shown),
        [a for g, a in answers if g in shown_ids],
        questions,
    )
    return EvaluationFigures(event, questions, by_group, overall)


def _scope(
    group: Group | None,
    invited: int,
    answers: list[dict[str, object]],
    questions: list[EvaluationQuestion],
) -> ScopeFigures:
    figures = [QuestionFigures(q) for q in questions]
    for answer in answers:
        for figure in figures:
            value = answer.get(str(figure.question.id))
            if value is None:
                continue
            figure.answers += 1
            if figure.question.kind is QuestionKind.RATING and isinstance(value, int):
                figure.ratings[value] += 1
            elif figure.question.kind is QuestionKind.YES_NO:
                figure.yes += value is True
                figure.no += value is False
            elif isinstance(value, str):
                figure.texts.append(value)
    for figure in figures:
        # In the order they were stored, texts could be matched with who answered when.
        figure.texts.sort(key=str.casefold)
    return ScopeFigures(group, invited, len(answers), figures)
