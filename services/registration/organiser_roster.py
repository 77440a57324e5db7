"""A group's roster as organisers see it: who is confirmed, who waits, who came on which date
and who completed the training."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shared.domain.capacity import waiting_list
from shared.models import (
    Attendance,
    AttendanceRule,
    Event,
    Group,
    Registration,
    RegistrationStatus,
    SessionDate,
)


@dataclass
class RosterLine:
    """One confirmed participant with their presence on each date of the group."""

    registration: Registration
    # date id -> True (present), False (absent), None (not marked yet)
    presence: dict[int, bool | None]
    expected_dates: list[SessionDate]

    @property
    def completed(self) -> bool:
        """Present on every date the participant committed to."""
        return bool(self.expected_dates) and all(
            self.presence.get(d.id) is True for d in self.expected_dates
        )


@dataclass
class Roster:
    """A group's participants, waiting list, dates and counts."""

    event: Event
    group: Group
    dates: list[SessionDate]
    confirmed: list[RosterLine] = field(default_factory=list)
    waiting: list[Registration] = field(default_factory=list)

    @property
    def places_left(self) -> int | None:
        """Free places, or None for a group without a limit."""
        if self.group.capacity is None:
            return None
        return max(self.group.capacity - len(self.confirmed), 0)

    def expected_on(self, session_date: SessionDate) -> list[RosterLine]:
        """The confirmed participants expected on a date."""
        return [line for line in self.confirmed if session_date in line.expected_dates]

    def present_on(self, session_date: SessionDate) -> int:
        """How many of those expected were marked present on a date."""
        return sum(
            1 for line in self.expected_on(session_date) if line.presence.get(session_date.id)
        )


def held_dates(group: Group) -> list[SessionDate]:
    """The group's dates that take place, in order."""
    return [d for d in group.dates if d.cancelled_at is None]


def expected_dates(event: Event, registration: Registration, dates: list[SessionDate]) -> list:
    """The dates a participant must attend: all of them, or the one they chose."""
    if event.attendance_rule is AttendanceRule.ONE_DATE:
        return [d for d in dates if d.id == registration.session_date_id]
    return list(dates)


def build_roster(session: Session, event: Event, group: Group) -> Roster:
    """The roster of one group of the event."""
    dates = held_dates(group)
    confirmed = session.scalars(
        select(Registration)
        .where(
            Registration.group_id == group.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .options(selectinload(Registration.attendances))
        .order_by(Registration.last_name, Registration.first_name, Registration.id)
    )
    roster = Roster(event=event, group=group, dates=dates, waiting=waiting_list(session, group))
    for registration in confirmed:
        marks = {a.session_date_id: a.present for a in registration.attendances}
        roster.confirmed.append(
            RosterLine(
                registration=registration,
                presence={d.id: marks.get(d.id) for d in dates},
                expected_dates=expected_dates(event, registration, dates),
            )
        )
    return roster


def attendance_of(session: Session, registration: Registration, date: SessionDate) -> Attendance:
    """The registration's attendance row for a date, created unmarked if missing."""
    attendance = session.scalar(
        select(Attendance).where(
            Attendance.registration_id == registration.id,
            Attendance.session_date_id == date.id,
        )
    )
    if attendance is None:
        attendance = Attendance(registration=registration, session_date=date, present=False)
        session.add(attendance)
    return attendance
