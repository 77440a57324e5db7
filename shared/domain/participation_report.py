"""The participation report funders ask for, across events: for a period, the events and
groups held, the hours planned and delivered, participants counted once per person
(normalised email) and per registration, presence and completion by the attendance rule,
and each indicator's counts per category (see docs/funders.md).

A group counts in the period when one of its dates starts in it (Brussels days); its held
dates are those neither it nor the group called off (shared.domain.attendance). Only
confirmed registrations count. A registration counts in an indicator's category through its
answer to its event's question tied to that indicator: "not_asked" where the event has no
such question, "not_answered" where it was skipped, "prefer_not_to_say" apart.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Text, and_, case, cast, distinct, func, select
from sqlalchemy.orm import Session, aliased

from shared.domain import attendance
from shared.domain.indicators import INDICATORS, age_band
from shared.domain.listing import day_bounds
from shared.errors import DateCalledOff, DomainError
from shared.i18n import BRUSSELS
from shared.models import (
    AnswerKind,
    Attendance,
    AttendanceRule,
    Event,
    EventKind,
    Group,
    Organiser,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    RegistrationStatus,
    SessionDate,
)

NOT_ASKED = "not_asked"
NOT_ANSWERED = "not_answered"


@dataclass(frozen=True)
class ReportScope:
    """Which groups a report covers: a period of Brussels days, optional filters, and the
    events the reader may see (None: every event, for an administrator)."""

    start: date
    end: date
    town: str | None = None
    kind: EventKind | None = None
    event_slug: str | None = None
    visible_event_ids: frozenset[int] | None = None

    @classmethod
    def for_reader(cls, reader: Organiser, **chosen: Any) -> ReportScope:
        """The period and filters chosen, within what the reader sees: every event for an
        administrator, the events they organise for anyone else."""
        visible = None if reader.is_admin else frozenset(event.id for event in reader.events)
        return cls(**chosen, visible_event_ids=visible)


@dataclass
class ParticipationReport:
    """The report's figures."""

    scope: ReportScope
    events_held: int = 0
    groups_held: int = 0
    hours_planned: float = 0.0
    hours_delivered: float = 0.0
    registrations: int = 0
    people: int = 0
    expected_presences: int = 0
    presences: int = 0
    completed: int = 0
    # People counted at held drop-in dates, who do not register: reported apart.
    drop_in_people: int = 0
    indicators: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def presence_rate(self) -> float | None:
        """Presences marked out of those expected on held dates."""
        return self.presences / self.expected_presences if self.expected_presences else None

    @property
    def completion_rate(self) -> float | None:
        """Registrations that completed the training, out of all counted."""
        return self.completed / self.registrations if self.registrations else None


def participation_report(session: Session, scope: ReportScope) -> ParticipationReport:
    """The report for this scope, counted by the database in a handful of statements
    whatever the number of registrations."""
    begins, ends = day_bounds(scope.start, scope.end)
    report = ParticipationReport(scope=scope)
    held_group_ids = _count_dates(session, scope, begins, ends, report)
    counted = _registrations_in(held_group_ids)
    per_event: dict[int, int] = {}
    if held_group_ids:
        _count_presence(session, counted, held_group_ids, report)
        per_event = dict(
            session.execute(
                select(Registration.event_id, func.count())
                .where(counted)
                .group_by(Registration.event_id)
            ).all()
        )
    report.indicators = _indicator_counts(session, counted, per_event)
    return report


def _count_dates(
    session: Session,
    scope: ReportScope,
    begins: datetime,
    ends: datetime,
    report: ParticipationReport,
) -> list[int]:
    """Count the groups and events held, the hours and the drop-in head counts from the dates
    of the groups in scope (a group is held when one of its dates is); return the held
    groups' ids."""
    in_period = aliased(SessionDate)
    query = (
        select(
            SessionDate.group_id,
            Group.event_id,
            SessionDate.starts_at,
            SessionDate.ends_at,
            SessionDate.cancelled_at.is_(None),
            SessionDate.headcount,
        )
        .join(SessionDate.group)
        .join(Group.event)
        .where(
            Group.cancelled_at.is_(None),
            Group.id.in_(
                select(in_period.group_id).where(
                    in_period.starts_at >= begins, in_period.starts_at < ends
                )
            ),
        )
    )
    if scope.town:
        query = query.where(Group.town_slug == scope.town)
    if scope.kind:
        query = query.where(Event.kind == scope.kind)
    if scope.event_slug:
        query = query.where(Event.slug == scope.event_slug)
    if scope.visible_event_ids is not None:
        query = query.where(Group.event_id.in_(scope.visible_event_ids))
    held_groups: dict[int, int] = {}
    for group_id, event_id, starts_at, ends_at, held, headcount in session.execute(query):
        if held:
            held_groups[group_id] = event_id
        if not begins <= starts_at < ends:
            continue
        hours = (ends_at - starts_at).total_seconds() / 3600
        report.hours_planned += hours
        if held:
            report.hours_delivered += hours
            report.drop_in_people += headcount or 0
    report.groups_held = len(held_groups)
    report.events_held = len(set(held_groups.values()))
    return sorted(held_groups)


def _registrations_in(group_ids: list[int]) -> ColumnElement[bool]:
    """The registrations a report counts: those confirmed in its held groups."""
    return and_(
        Registration.group_id.in_(group_ids),
        Registration.status == RegistrationStatus.CONFIRMED,
    )


def _count_presence(
    session: Session,
    counted: ColumnElement[bool],
    group_ids: list[int],
    report: ParticipationReport,
) -> None:
    """Count registrations, people, presences expected and marked, and completions as
    shared.domain.attendance decides them, in one statement."""
    held = SessionDate.cancelled_at.is_(None)
    held_per_group = (
        select(SessionDate.group_id, func.count().label("dates"))
        .where(SessionDate.group_id.in_(group_ids), held)
        .group_by(SessionDate.group_id)
        .subquery()
    )
    # Present on a held date the registration is expected at: of its group, and the one it
    # chose if it chose one.
    present_per_registration = (
        select(Attendance.registration_id, func.count().label("dates"))
        .join(Attendance.registration)
        .join(SessionDate, SessionDate.id == Attendance.session_date_id)
        .where(
            counted,
            Attendance.present.is_(True),
            held,
            SessionDate.group_id == Registration.group_id,
            attendance.concerns_clause(SessionDate.id),
        )
        .group_by(Attendance.registration_id)
        .subquery()
    )
    chosen = aliased(SessionDate)
    expected = case(
        (Registration.session_date_id.is_(None), func.coalesce(held_per_group.c.dates, 0)),
        (chosen.cancelled_at.is_(None), 1),
        else_=0,
    )
    present = func.coalesce(present_per_registration.c.dates, 0)
    row = session.execute(
        select(
            func.count(),
            func.count(distinct(Registration.email_normalized)),
            func.coalesce(func.sum(expected), 0),
            func.coalesce(func.sum(present), 0),
            func.coalesce(func.sum(case((and_(expected > 0, present == expected), 1), else_=0)), 0),
        )
        .outerjoin(held_per_group, held_per_group.c.group_id == Registration.group_id)
        .outerjoin(chosen, chosen.id == Registration.session_date_id)
        .outerjoin(
            present_per_registration,
            present_per_registration.c.registration_id == Registration.id,
        )
        .where(counted)
    ).one()
    (
        report.registrations,
        report.people,
        report.expected_presences,
        report.presences,
        report.completed,
    ) = (int(value) for value in row)


def record_headcount(
    event: Event, session_date: SessionDate, people: int, *, now: datetime
) -> None:
    """Record how many people came to a held drop-in date, once it has begun."""
    if event.attendance_rule is not AttendanceRule.NO_REGISTRATION:
        raise DomainError(
            _l("Seules les permanences sans inscription comptent les personnes venues.")
        )
    if not attendance.is_held(session_date):
        raise DateCalledOff()
    if session_date.starts_at > now:
        raise DomainError(_l("Cette date n'a pas encore commencé."))
    session_date.headcount = people


def _indicator_counts(
    session: Session, counted: ColumnElement[bool], per_event: dict[int, int]
) -> dict[str, dict[str, int]]:
    """Each indicator's count per category, "not asked" and "not answered" apart, from the
    registrations counted per event and their answers counted per question and value."""
    questions: list[RegistrationQuestion] = []
    if per_event:
        questions = list(
            session.scalars(
                select(RegistrationQuestion)
                .where(
                    RegistrationQuestion.event_id.in_(per_event),
                    RegistrationQuestion.indicator.is_not(None),
                )
                .order_by(RegistrationQuestion.position, RegistrationQuestion.id)
            )
        )
    asking: dict[tuple[int, str], RegistrationQuestion] = {}
    for question in questions:
        # Should an event ask twice for one indicator, the first question in its form counts.
        asking.setdefault((question.event_id, question.indicator), question)
    answered = _answer_categories(session, counted, list(asking.values()))
    counts: dict[str, dict[str, int]] = {}
    for key, indicator in INDICATORS.items():
        tally: Counter[str] = Counter(
            dict.fromkeys((*indicator.category_keys, NOT_ANSWERED, NOT_ASKED), 0)
        )
        for event_id, registrations in per_event.items():
            question = asking.get((event_id, key))
            if question is None:
                tally[NOT_ASKED] += registrations
                continue
            categories = answered.get(question.id, Counter())
            tally.update(categories)
            tally[NOT_ANSWERED] += registrations - categories.total()
        counts[key] = dict(tally)
    return counts


def _answer_categories(
    session: Session,
    counted: ColumnElement[bool],
    questions: list[RegistrationQuestion],
) -> dict[int, Counter[str]]:
    """The counted registrations' answers to these questions, per question and category
    (an answer in no category is left out): counted by the database per value for choices,
    read one by one for birth dates, whose band depends on the day of registration."""
    by_id = {question.id: question for question in questions}
    choices = [q.id for q in questions if q.kind is not AnswerKind.DATE]
    births = [q.id for q in questions if q.kind is AnswerKind.DATE]
    categories: dict[int, Counter[str]] = {question.id: Counter() for question in questions}
    # The stored JSON as text: PostgreSQL cannot group or compare json values.
    value = cast(RegistrationAnswer.value, Text)
    if choices:
        rows = session.execute(
            select(RegistrationAnswer.question_id, value, func.count())
            .join(RegistrationAnswer.registration)
            .where(counted, RegistrationAnswer.question_id.in_(choices))
            .group_by(RegistrationAnswer.question_id, value)
        )
        for question_id, text, number in rows:
            category = _category(by_id[question_id], json.loads(text))
            if category is not None:
                categories[question_id][category] += number
    if births:
        rows = session.execute(
            select(RegistrationAnswer.question_id, value, Registration.created_at)
            .join(RegistrationAnswer.registration)
            .where(counted, RegistrationAnswer.question_id.in_(births))
        )
        # Many share a birth date: each is read once.
        read: dict[str, date | None] = {}
        for question_id, text, registered_at in rows:
            if text not in read:
                born = json.loads(text)
                read[text] = date.fromisoformat(born) if isinstance(born, str) else None
            if read[text] is not None:
                day = registered_at.astimezone(BRUSSELS).date()
                categories[question_id][age_band(read[text], day)] += 1
    return categories


def _category(question: RegistrationQuestion, value: object) -> str | None:
    """The indicator's category a choice counts in, if any."""
    for choice in question.choices:
        if choice["key"] == value:
            return choice.get("category")
    return None
