"""An event's figures per town and group: registrations, places, waiting list, presence per
date and completion — what an activity report to a funder needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from services.registration.organiser.roster_lines import Roster, build_roster
from shared.models import Event, Group, SessionDate


def rate(part: int, whole: int) -> float | None:
    """A share rounded to a tenth of a percent, or None when there is nothing to share."""
    return None if whole == 0 else round(part / whole, 3)


@dataclass
class DateFigures:
    """Presence on one date of a group."""

    session_date: SessionDate
    present: int
    expected: int

    @property
    def rate(self) -> float | None:
        """Present among those expected."""
        return rate(self.present, self.expected)


@dataclass
class GroupFigures:
    """One group's registrations, places and attendance."""

    group: Group
    confirmed: int
    waitlisted: int
    places_left: int | None
    completed: int
    dates: list[DateFigures] = field(default_factory=list)

    @property
    def completion_rate(self) -> float | None:
        """Confirmed participants present on every date they committed to."""
        return rate(self.completed, self.confirmed)


@dataclass
class Dashboard:
    """Every group of an event, and the event's totals."""

    event: Event
    groups: list[GroupFigures]

    @property
    def confirmed(self) -> int:
        """Confirmed participants across groups."""
        return sum(g.confirmed for g in self.groups)

    @property
    def waitlisted(self) -> int:
        """People waiting across groups."""
        return sum(g.waitlisted for g in self.groups)

    @property
    def completion_rate(self) -> float | None:
        """Completion across the event."""
        return rate(sum(g.completed for g in self.groups), self.confirmed)


def group_figures(roster: Roster) -> GroupFigures:
    """A group's figures from its roster."""
    return GroupFigures(
        group=roster.group,
        confirmed=len(roster.confirmed),
        waitlisted=len(roster.waiting),
        places_left=roster.places_left,
        completed=sum(1 for line in roster.confirmed if line.completed),
        dates=[
            DateFigures(d, present=roster.present_on(d), expected=len(roster.expected_on(d)))
            for d in roster.dates
        ],
    )


def event_dashboard(session: Session, event: Event) -> Dashboard:
    """The dashboard of an event, its groups ordered as the event lists them."""
    groups = [g for g in event.groups if not g.is_cancelled]
    return Dashboard(
        event=event, groups=[group_figures(build_roster(session, event, g)) for g in groups]
    )
