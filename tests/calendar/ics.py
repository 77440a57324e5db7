"""Reading feeds in tests: with icalendar and, independently, with vobject."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import vobject


def parse(body: bytes) -> icalendar.Calendar:
    """The feed read by icalendar, after checking that vobject reads it too."""
    vobject.readOne(body.decode("utf-8"))
    return icalendar.Calendar.from_ical(body)


def events(body: bytes) -> dict[str, icalendar.Event]:
    """The feed's VEVENTs by UID."""
    return {str(event["uid"]): event for event in parse(body).walk("VEVENT")}


def vobject_times_utc(body: bytes) -> dict[str, tuple[datetime, datetime]]:
    """Each VEVENT's start and end in UTC as vobject reads them, from the feed's VTIMEZONE."""
    calendar = vobject.readOne(body.decode("utf-8"))
    return {
        event.uid.value: (
            event.dtstart.value.astimezone(UTC),
            event.dtend.value.astimezone(UTC),
        )
        for event in calendar.vevent_list
    }


def utc(text: str) -> datetime:
    """An aware UTC datetime: utc("2023-10-03T07:30")."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
