"""iCalendar building blocks shared by the calendar feeds and the email invitations.

One VEVENT per session date, with a UID derived from the date's id so that a feed and an
emailed invitation describe the same event and a calendar never shows it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from flask_babel import force_locale, gettext, ngettext
from icalendar import Calendar, Event, Timezone, vDuration, vGeo, vRecur, vText

from shared.database import utcnow
from shared.domain.attendance import is_held
from shared.domain.availability import Availability, group_availability
from shared.i18n import BRUSSELS, TIME_ZONE
from shared.labels import kind_label
from shared.models import AttendanceRule, Group, SessionDate
from shared.models import Event as EventRow

UID_DOMAIN = "atelier"
PRODID = "-//Atelier//Trainings and workshops//FR"
CONFIRMED = "CONFIRMED"
TENTATIVE = "TENTATIVE"
CANCELLED = "CANCELLED"
# What an open-ended public feed (every session, a town's) keeps besides the coming dates:
# the recent past a calendar app shows, not the years before it. Cancellations stay as long,
# so a subscribed calendar sees them. A personal feed keeps all of its person's dates.
PUBLIC_FEED_PAST = timedelta(days=90)

# Belgium follows the EU rule since 1996: summer time from the last Sunday of March at 02:00
# to the last Sunday of October at 03:00 local time. Two recurring observances describe every
# date the product shows, where a generated definition would list each transition up to 2038.
BRUSSELS_VTIMEZONE = "\r\n".join(
    [
        "BEGIN:VTIMEZONE",
        f"TZID:{TIME_ZONE}",
        f"X-LIC-LOCATION:{TIME_ZONE}",
        "BEGIN:DAYLIGHT",
        "TZNAME:CEST",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "DTSTART:19960331T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZNAME:CET",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "DTSTART:19961027T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
        "",
    ]
)


@dataclass(frozen=True)
class Standing:
    """Where one participant stands for a date, shown in their personal feed."""

    status: str
    label: str
    changed_at: datetime
    # Added to the date's SEQUENCE: a registration only moves forward (waiting → confirmed
    # → cancelled), so each step of it is a newer version of the event for its calendar.
    sequence_step: int


def date_uid(session_date: SessionDate) -> str:
    """The session date's UID: the same in every feed and invitation, forever."""
    return f"session-date-{session_date.id}@{UID_DOMAIN}"


def webcal_url(url: str) -> str:
    """The same feed as a webcal:// address, which calendar apps open as a subscription."""
    return urlunsplit(("webcal", *urlsplit(url)[1:]))


def new_calendar(
    name: str,
    *,
    method: str | None = None,
    refresh: timedelta = timedelta(hours=6),
    description: str | None = None,
    source: str | None = None,
) -> Calendar:
    """An empty calendar with its name, refresh hints and timezone (RFC 5545 and 7986)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    # icalendar writes NAME and X- properties as they come; as TEXT, a line break in an
    # organiser's title is escaped instead of breaking the file.
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    if description:
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", vText(description))
    if source:
        calendar.add("source", source, parameters={"VALUE": "URI"})
    calendar.add("x-wr-timezone", TIME_ZONE)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    calendar.add_component(brussels_timezone())
    return calendar


@cache
def brussels_timezone() -> Timezone:
    """The VTIMEZONE of Europe/Brussels, parsed once per process; calendars share it read-only."""
    return Timezone.from_ical(BRUSSELS_VTIMEZONE)


@dataclass(frozen=True)
class _EventWords:
    """What every date of one event says, worded once per calendar."""

    title: str
    category: str
    lead: list[str]
    access: str | None
    tail: list[str]


class EventWriter:
    """Writes the VEVENTs of one calendar in one language; the caller sets its locale.

    A feed of thousands of dates holds few events: their words are looked up once, not
    once per date.
    """

    def __init__(self, language: str, now: datetime | None = None, *, rooms: bool = False) -> None:
        self.language = language
        self.now = now or utcnow()
        # Those who run the sessions are told the room too; participants are shown it at the
        # door.
        self.rooms = rooms
        self._events: dict[tuple[int, str], _EventWords] = {}
        self._offers: dict[int, str | None] = {}

    def event(
        self,
        session_date: SessionDate,
        *,
        url: str,
        standing: Standing | None = None,
        stamp: datetime | None = None,
    ) -> Event:
        """The VEVENT of one session date."""
        group = session_date.group
        words = self._event_words(group.event, url)
        cancelled = not is_held(session_date) or (
            standing is not None and standing.status == CANCELLED
        )
        changes = [session_date.updated_at, group.updated_at, group.event.updated_at]
        if standing is not None:
            changes.append(standing.changed_at)
        last_modified = max(changes)
        vevent = Event()
        vevent.add("uid", date_uid(session_date))
        vevent.add("dtstamp", stamp or last_modified)
        vevent.add("created", session_date.created_at)
        vevent.add("last-modified", last_modified)
        vevent.add("sequence", session_date.sequence + (standing.sequence_step if standing else 0))
        start = session_date.starts_at.astimezone(BRUSSELS)
        vevent.add("dtstart", start)
        vevent.add("dtend", session_date.ends_at.astimezone(BRUSSELS))
        if session_date.recurrence_rule:
            vevent.add("rrule", vRecur.from_ical(session_date.recurrence_rule))
            if session_date.excluded_dates:
                closures = [
                    datetime.combine(day, start.time(), BRUSSELS) for day in session_date.excluded
                ]
                vevent.add("exdate", closures)
        vevent.add("summary", self._summary(words, group, standing, cancelled))
        place = group.venue_name
        if self.rooms and group.room is not None:
            place = f"{place} · {group.room.name}"
        vevent.add("location", f"{place}, {group.address}")
        if group.latitude is not None and group.longitude is not None:
            vevent.add("geo", vGeo((group.latitude, group.longitude)))
        vevent.add("url", url)
        vevent.add("categories", [words.category])
        vevent.add("status", CANCELLED if cancelled else standing.status if standing else CONFIRMED)
        vevent.add("description", self._description(words, session_date, standing))
        return vevent

    def _event_words(self, event: EventRow, url: str) -> _EventWords:
        key = (event.id, url)
        if key not in self._events:
            prerequisites = event.localized("prerequisites", self.language)
            open_access = event.attendance_rule is AttendanceRule.NO_REGISTRATION
            tail = [
                gettext("Informations : %(url)s", url=url)
                if open_access
                else gettext("Informations et inscription : %(url)s", url=url)
            ]
            if event.organiser_contact:
                tail.append(gettext("Contact : %(contact)s", contact=event.organiser_contact))
            self._events[key] = _EventWords(
                title=event.localized("title", self.language),
                category=kind_label(event.kind),
                lead=[
                    event.localized("description", self.language),
                    gettext("Prérequis : %(text)s", text=prerequisites) if prerequisites else "",
                ],
                access=gettext("Accès libre, sans inscription.") if open_access else None,
                tail=tail,
            )
        return self._events[key]

    def _summary(
        self, words: _EventWords, group: Group, standing: Standing | None, cancelled: bool
    ) -> str:
        summary = f"{words.title} — {group.name}"
        if standing is not None:
            summary = f"{summary} ({standing.label})"
        if cancelled:
            # Several calendar apps keep showing cancelled events of a subscription: say it.
            summary = gettext("Annulé : %(summary)s", summary=summary)
        return summary

    def _description(
        self, words: _EventWords, session_date: SessionDate, standing: Standing | None
    ) -> str:
        lines = []
        held = is_held(session_date)
        if not held:
            lines.append(gettext("Cette date est annulée."))
        if standing is not None:
            lines.append(gettext("Votre inscription : %(label)s", label=standing.label))
        lines.extend(words.lead)
        if words.access is not None:
            lines.append(words.access)
        elif held:
            lines.append(self._offer_line(session_date.group) or "")
        lines.extend(words.tail)
        return "\n".join(line for line in lines if line)

    def _offer_line(self, group: Group) -> str | None:
        """What the group offers a newcomer now, as the registration form would answer."""
        if group.id not in self._offers:
            offer = group_availability(group.event, group, self.now)
            seats = offer.places_left
            if not offer.accepts_registrations:
                line = gettext("Inscriptions fermées")
            elif offer.availability is Availability.WAITING_LIST:
                line = gettext("Complet : inscription possible sur liste d'attente.")
            elif seats is None:
                line = None
            else:
                line = ngettext("%(num)d place restante", "%(num)d places restantes", seats)
            self._offers[group.id] = line
        return self._offers[group.id]


def group_invitation(group: Group, *, language: str, url: str) -> bytes:
    """Every date of one group as an .ics file (METHOD:PUBLISH), for emails and downloads."""
    with force_locale(language):
        calendar = new_calendar(
            f"{group.event.localized('title', language)} — {group.name}", method="PUBLISH"
        )
        writer = EventWriter(language)
        for session_date in group.dates:
            calendar.add_component(writer.event(session_date, url=url))
    return serialise(calendar)


def serialise(calendar: Calendar) -> bytes:
    """The calendar as bytes: UTF-8, CRLF line ends, lines folded at 75 octets."""
    return calendar.to_ical()
