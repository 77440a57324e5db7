"""A group's roster as organisers see it: who is confirmed, who waits, who came on which date
and who completed the training."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.domain import attendance
from shared.domain.capacity import awaits_confirmation, places_left, waiting_list
from shared.domain.registration_questions import answer_text, answers_by_registration
from shared.models import Attendance, Event, Group, Registration, RegistrationQuestion, SessionDate
from shared.paging import Keyset, page_of

# The order of a roster's confirmed participants, and of its pages.
BY_NAME = Keyset((Registration.last_name, Registration.first_name, Registration.id))


@dataclass
class RosterLine:
    """One confirmed participant with their presence on each held date of the group."""

    registration: Registration
    # date id -> True (present), False (absent), None (not marked yet)
    presence: dict[int, bool | None]
    # question id -> the answer to the event's own question, for those answered
    answers: dict[int, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        """Present on every held date the participant is expected at."""
        return attendance.completed(self.registration, self.presence)

    def is_expected_on(self, session_date: SessionDate) -> bool:
        """Whether the participant is expected on this date."""
        return attendance.concerns(self.registration, session_date)


@dataclass
class Roster:
    """A group's participants, waiting list, held dates and counts."""

    event: Event
    group: Group
    dates: list[SessionDate]
    # All the confirmed participants, or one page of them by name (see ``next``).
    confirmed: list[RosterLine] = field(default_factory=list)
    confirmed_count: int = 0
    waiting: list[Registration] = field(default_factory=list)
    # The event's own questions, hidden ones included: their answers are kept.
    questions: list[RegistrationQuestion] = field(default_factory=list)
    # The cursor of the next page of confirmed participants, None on the last.
    next: str | None = None

    @property
    def places_left(self) -> int | None:
        """Free places, or None for a group without a limit."""
        return places_left(self.group, self.confirmed_count)

    @property
    def unconfirmed(self) -> set[int]:
        """The registrations, holding a place or waiting, not yet confirmed from their email:
        released if not confirmed in time."""
        held = [line.registration for line in self.confirmed] + self.waiting
        return {registration.id for registration in held if awaits_confirmation(registration)}

    def answers_read(self, line: RosterLine, language: str) -> list[tuple[str, str]]:
        """Each of the event's questions a participant answered, with the answer, as people
        read them."""
        return [
            (question.text(language), answer_text(question, line.answers[question.id], language))
            for question in self.questions
            if question.id in line.answers
        ]

    def expected_on(self, session_date: SessionDate) -> list[RosterLine]:
        """The confirmed participants expected on a date."""
        return [line for line in self.confirmed if line.is_expected_on(session_date)]

    def present_on(self, session_date: SessionDate) -> int:
        """How many of those expected were marked present on a date."""
        return sum(
            1 for line in self.expected_on(session_date) if line.presence.get(session_date.id)
        )


def build_roster(
    session: Session,
    event: Event,
    group: Group,
    *,
    limit: int | None = None,
    cursor: tuple | None = None,
) -> Roster:
    """The roster of one group of the event: every confirmed participant, or with ``limit``
    one page of them by name (after ``cursor``), the counts being the whole group's."""
    dates = attendance.held_dates(group)
    query = attendance.confirmed_with_presence(group)
    if limit is None:
        confirmed = list(session.scalars(query.order_by(*BY_NAME.order_by())))
        following, count = None, len(confirmed)
    else:
        page = page_of(session, query, BY_NAME, limit=limit, cursor=cursor)
        confirmed, following, count = page.items, page.next, group.confirmed_count
    roster = Roster(
        event=event,
        group=group,
        dates=dates,
        confirmed_count=count,
        waiting=waiting_list(session, group),
        questions=list(event.registration_questions),
        next=following,
    )
    for registration in confirmed:
        marks = attendance.presence_marks(registration)
        roster.confirmed.append(
            RosterLine(registration=registration, presence={d.id: marks.get(d.id) for d in dates})
        )
    if roster.questions:
        answers = answers_by_registration(
            session, [line.registration.id for line in roster.confirmed]
        )
        for line in roster.confirmed:
            line.answers = answers.get(line.registration.id, {})
    return roster


def attendance_of(session: Session, registration: Registration, date: SessionDate) -> Attendance:
    """The registration's attendance row for a date, created unmarked if missing."""
    row = session.scalar(
        select(Attendance).where(
            Attendance.registration_id == registration.id,
            Attendance.session_date_id == date.id,
        )
    )
    if row is None:
        row = Attendance(registration=registration, session_date=date, present=False)
        session.add(row)
    return row
