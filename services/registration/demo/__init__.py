"""Demo data: the seed's events, at their 2023 dates or moved into the coming months."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.i18n import BRUSSELS
from shared.models import AttendanceRule, Event, EventKind, Group, SessionDate

SEED = Path(__file__).with_name("seed-2023.json")
LEAD_TIME = timedelta(weeks=6)


def seed_events() -> list[dict[str, Any]]:
    """The seed's events as written in the fixture, with their 2023 schedule."""
    return json.loads(SEED.read_text(encoding="utf-8"))["events"]


def weeks_to_shift(events: list[dict[str, Any]], today: date) -> int:
    """Whole weeks that move the earliest seed date to at least six weeks after ``today``.

    Whole weeks keep every weekday and every spacing between dates.
    """
    earliest = min(
        datetime.fromisoformat(start).date()
        for event in events
        for group in event["groups"]
        for start, _end in group["dates"]
    )
    days = (today + LEAD_TIME - earliest).days
    return max(0, -(-days // 7))


def load_events(session: Session, *, today: date | None = None) -> list[Event]:
    """Add the seed's events; with ``today``, moved into the weeks after it. Flushes."""
    events = seed_events()
    shift = timedelta(weeks=weeks_to_shift(events, today) if today else 0)
    return [_add_event(session, spec, shift) for spec in events]


def database_is_empty(session: Session) -> bool:
    """Whether no event exists yet."""
    return session.scalar(select(Event.id).limit(1)) is None


def _local(moment: str, shift: timedelta) -> datetime:
    # Shift the wall-clock time, then localise: a date moved across a DST change keeps 9:30.
    return (datetime.fromisoformat(moment) + shift).replace(tzinfo=BRUSSELS)


def _add_event(session: Session, spec: dict[str, Any], shift: timedelta) -> Event:
    groups = [_group(group_spec, shift) for group_spec in spec["groups"]]
    first_start = min(d.starts_at for g in groups for d in g.dates)
    opens_weeks = spec.get("registration_opens_weeks_before")
    event = Event(
        slug=spec["slug"],
        kind=EventKind(spec["kind"]),
        attendance_rule=AttendanceRule(spec["attendance_rule"]),
        title=spec["title"],
        description=spec["description"],
        prerequisites=spec["prerequisites"],
        organiser_contact=spec["organiser_contact"],
        registration_opens_at=first_start - timedelta(weeks=opens_weeks) if opens_weeks else None,
        groups=groups,
    )
    for position, group in enumerate(groups):
        group.position = position
    session.add(event)
    session.flush()
    return event


def _group(spec: dict[str, Any], shift: timedelta) -> Group:
    fields = {
        k: v for k, v in spec.items() if k not in {"dates", "recurrence_rule", "excluded_dates"}
    }
    excluded = [
        (date.fromisoformat(day) + shift).isoformat() for day in spec.get("excluded_dates", [])
    ]
    dates = [
        SessionDate(
            starts_at=_local(start, shift),
            ends_at=_local(end, shift),
            recurrence_rule=spec.get("recurrence_rule"),
            excluded_dates=excluded,
        )
        for start, end in spec["dates"]
    ]
    return Group(**fields, dates=dates)
