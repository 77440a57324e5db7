"""iCalendar building blocks shared by the calendar feeds and the email invitations.

One VEVENT per session date, with a UID derived from the date's id so that a feed and an
emailed invitation describe the same event and a calendar never shows it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext, ngettext
from icalendar import Calendar, Event, vGeo, vRecur

from shared.models import Group, SessionDate

BRUSSELS = ZoneInfo("Europe/Brussels")
UID_DOMAIN = "atelier"
PRODID = "-//Atelier//Trainings and workshops//FR"


def date_uid(session_date: SessionDate) -> str:
    """The session date's UID: the same in every feed and invitation, forever."""
    return f"session-date-{session_date.id}@{UID_DOMAIN}"


def new_calendar(
    name: str, *, method: str | None = None, refresh: timedelta = timedelta(hours=6)
) -> Calendar:
    """An empty calendar with its name, refresh hints and timezone (RFC 5545 and 7986)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Brussels")
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", refresh)
    return calendar


def session_event(
    session_date: SessionDate,
    *,
    language: str,
    url: str,
    extra_lines: Iterable[str] = (),
    summary_suffix: str = "",
    stamp: datetime | None = None,
) -> Event:
    """The VEVENT of one session date; the caller sets the locale of ``language``."""
    group = session_date.group
    event = group.event
    vevent = Event()
    vevent.add("uid", date_uid(session_date))
    last_modified = max(session_date.updated_at, group.updated_at, event.updated_at)
    vevent.add("dtstamp", stamp or last_modified)
    vevent.add("last-modified", last_modified)
    vevent.add("created", session_date.created_at)
    vevent.add("sequence", session_date.sequence)
    vevent.add("dtstart", session_date.starts_at.astimezone(BRUSSELS))
    vevent.add("dtend", session_date.ends_at.astimezone(BRUSSELS))
    if session_date.recurrence_rule:
        vevent.add("rrule", vRecur.from_ical(session_date.recurrence_rule))
        for day in session_date.excluded:
            start = session_date.starts_at.astimezone(BRUSSELS)
            vevent.add("exdate", datetime.combine(day, start.timetz()).replace(tzinfo=BRUSSELS))
    title = event.localized("title", language)
    vevent.add("summary", f"{title} — {group.name}{summary_suffix}")
    vevent.add("location", f"{group.venue_name}, {group.address}")
    if group.latitude is not None and group.longitude is not None:
        vevent.add("geo", vGeo((group.latitude, group.longitude)))
    vevent.add("url", url)
    vevent.add("categories", [event.kind.value])
    vevent.add("status", "CANCELLED" if session_date.is_cancelled else "CONFIRMED")
    vevent.add("description", "\n".join(_description_lines(session_date, language, extra_lines)))
    return vevent


def group_invitation(group: Group, *, language: str, url: str) -> bytes:
    """Every date of one group as an .ics file (METHOD:PUBLISH), for emails and downloads."""
    with force_locale(language):
        calendar = new_calendar(
            f"{group.event.localized('title', language)} — {group.name}", method="PUBLISH"
        )
        for session_date in group.dates:
            calendar.add_component(session_event(session_date, language=language, url=url))
    return serialise(calendar)


def serialise(calendar: Calendar) -> bytes:
    """The calendar as bytes, with a VTIMEZONE for every TZID it uses."""
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _description_lines(
    session_date: SessionDate, language: str, extra_lines: Iterable[str]
) -> list[str]:
    group = session_date.group
    lines = [group.event.localized("description", language)]
    prerequisites = group.event.localized("prerequisites", language)
    if prerequisites:
        lines.append(gettext("Prérequis : %(text)s", text=prerequisites))
    if group.seats_left is not None and not session_date.is_cancelled:
        lines.append(
            ngettext("%(num)d place restante", "%(num)d places restantes", group.seats_left)
        )
    lines.extend(extra_lines)
    return [line for line in lines if line]
