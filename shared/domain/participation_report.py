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

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shared.domain import attendance
from shared.domain.indicators import INDICATORS
from shared.domain.listing import local_midnight
from shared.domain.registration_questions import answers_by_registration
from shared.errors import DateCalledOff, DomainError
from shared.models import (
    AttendanceRule,
    Event,
    EventKind,
    Group,
    Organiser,
    Registration,
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


def _hours(session_date: SessionDate) -> float:
    return (session_date.ends_at - session_date.starts_at).total_seconds() / 3600


def participation_report(session: Session, scope: ReportScope) -> ParticipationReport:
    """The report for this scope, read in a handful of statements."""
    begins, ends = local_midnight(scope.start), local_midnight(scope.end + timedelta(days=1))
    in_period = select(SessionDate.group_id).where(
        SessionDate.starts_at >= begins, SessionDate.starts_at < ends
    )
    query = (
        select(Group)
        .join(Group.event)
        .where(Group.id.in_(in_period), Group.cancelled_at.is_(None))
        .options(selectinload(Group.dates))
    )
    if scope.town:
        query = query.where(Group.town_slug == scope.town)
    if scope.kind:
        query = query.where(Event.kind == scope.kind)
    if scope.event_slug:
        query = query.where(Event.slug == scope.event_slug)
    if scope.visible_event_ids is not None:
        query = query.where(Group.event_id.in_(scope.visible_event_ids))
    groups = list(session.scalars(query))
    report = ParticipationReport(scope=scope)
    held_groups = [group for group in groups if attendance.held_dates(group)]
    report.groups_held = len(held_groups)
    report.events_held = len({group.event_id for group in held_groups})
    for group in groups:
        dated = [d for d in group.dates if begins <= d.starts_at < ends]
        report.hours_planned += sum(_hours(d) for d in dated)
        report.hours_delivered += sum(_hours(d) for d in dated if attendance.is_held(d))
        report.drop_in_people += sum(d.headcount or 0 for d in dated if attendance.is_held(d))
    registrations = list(
        session.scalars(
            select(Registration)
            .where(
                Registration.group_id.in_([g.id for g in held_groups]),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .options(selectinload(Registration.attendances))
        )
    )
    report.registrations = len(registrations)
    report.people = len({r.email_normalized for r in registrations})
    for registration in registrations:
        marks = attendance.presence_marks(registration)
        report.expected_presences += len(attendance.expected_dates(registration))
        report.presences += len(attendance.present_dates(registration, marks))
        report.completed += attendance.completed(registration, marks)
    report.indicators = _indicator_counts(session, registrations)
    return report


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
    session: Session, registrations: list[Registration]
) -> dict[str, dict[str, int]]:
    """Each indicator's count per category, "not asked" and "not answered" apart."""
    event_ids = {r.event_id for r in registrations}
    questions = list(
        session.scalars(
            select(RegistrationQuestion).where(
                RegistrationQuestion.event_id.in_(event_ids),
                RegistrationQuestion.indicator.is_not(None),
            )
        )
    )
    asking = {(q.event_id, q.indicator): q for q in questions}
    answers = answers_by_registration(session, [r.id for r in registrations]) if questions else {}
    counts: dict[str, dict[str, int]] = {}
    for key, indicator in INDICATORS.items():
        tally: Counter[str] = Counter(
            dict.fromkeys((*indicator.category_keys, NOT_ANSWERED, NOT_ASKED), 0)
        )
        for registration in registrations:
            question = asking.get((registration.event_id, key))
            if question is None:
                tally[NOT_ASKED] += 1
                continue
            value = answers.get(registration.id, {}).get(question.id)
            tally[_category(question, value)] += 1
        counts[key] = dict(tally)
    return counts


def _category(question: RegistrationQuestion, value: object) -> str:
    """The indicator's category an answer counts in."""
    for choice in question.choices:
        if choice["key"] == value:
            return choice.get("category") or NOT_ANSWERED
    return NOT_ANSWERED
