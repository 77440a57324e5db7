"""How events, groups and registrations read on the participant pages: availability,
dates in words, map and calendar links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote_plus

from babel.lists import format_list
from dateutil.rrule import rrulestr
from flask_babel import format_date, get_locale, gettext, ngettext

from shared import links, qr
from shared.database import db, utcnow
from shared.domain import checkin
from shared.domain.attendance import held_dates
from shared.domain.availability import Availability, GroupAvailability, group_availability
from shared.domain.capacity import Place, awaits_confirmation, place_of
from shared.domain.certificates import offers_certificate
from shared.domain.registrations import participant_may_cancel
from shared.errors import CancellationClosed
from shared.i18n import BRUSSELS, format_day, format_hours, format_moment
from shared.models import AttendanceRule, Event, Group, Registration, SessionDate

# Closed days in a row a drop-in series may have before its next date is no longer looked for.
MAX_CLOSURES_SKIPPED = 60


@dataclass(frozen=True)
class GroupStatus:
    """A group's availability with the words to show."""

    offer: GroupAvailability
    label: str

    @property
    def availability(self) -> Availability:
        """What the group offers a newcomer now."""
        return self.offer.availability

    @property
    def reason(self) -> str | None:
        """Why registration is closed, if it is."""
        return self.offer.reason

    @property
    def accepts_registrations(self) -> bool:
        """Whether the registration form may be offered for this group."""
        return self.offer.accepts_registrations


def group_status(event: Event, group: Group, now: datetime | None = None) -> GroupStatus:
    """The group's availability as the registration rules see it at ``now``, in words."""
    offer = group_availability(event, group, now or utcnow())
    seats = offer.places_left
    if offer.availability is Availability.FULL:
        label = gettext("Complet")
    elif offer.availability is Availability.CLOSED:
        label = gettext("Inscriptions fermées")
    elif offer.availability is Availability.WAITING_LIST:
        label = gettext("Complet : liste d'attente")
    elif seats is None:
        label = gettext("Places disponibles")
    else:
        label = ngettext("%(num)d place restante", "%(num)d places restantes", seats)
    return GroupStatus(offer, label)


def is_upcoming(event: Event, now: datetime | None = None) -> bool:
    """Whether the event still has a date to come (recurring office hours always do)."""
    now = now or utcnow()
    return any(d.recurrence_rule or d.ends_at > now for g in event.groups for d in held_dates(g))


def next_occurrence(session_date: SessionDate, now: datetime | None = None) -> str | None:
    """When recurring office hours next take place, in words; None once they no longer do."""
    start = session_date.starts_at.astimezone(BRUSSELS)
    rule = rrulestr(session_date.recurrence_rule or "", dtstart=start)
    closed = set(session_date.excluded)
    # Ends are compared, not starts: hours under way are still the next ones to go to.
    moment = (now or utcnow()) - (session_date.ends_at - session_date.starts_at)
    for _ in range(MAX_CLOSURES_SKIPPED):
        coming = rule.after(moment)
        if coming is None:
            return None
        if coming.date() not in closed:
            return format_day(coming)
        moment = coming
    return None


def coming_months(now: datetime, count: int) -> list[tuple[str, str]]:
    """The ``count`` months from the current one, as (YYYY-MM, name in the current language)."""
    month = now.astimezone(BRUSSELS).date().replace(day=1)
    months = []
    for _ in range(count):
        months.append((month.strftime("%Y-%m"), format_date(month, "LLLL yyyy")))
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def is_office_hours(event: Event) -> bool:
    """Drop-in hours: open to all, no registration."""
    return event.attendance_rule is AttendanceRule.NO_REGISTRATION


def hours(session_date: SessionDate) -> str:
    """The session's hours of the day in Brussels time: "09:30–16:00"."""
    return format_hours(session_date.starts_at, session_date.ends_at)


def weekly_line(session_date: SessionDate) -> str:
    """ "Chaque mercredi, 09:30–12:00, sans inscription" for recurring office hours."""
    return gettext(
        "Chaque %(weekday)s, %(hours)s, sans inscription",
        weekday=format_date(session_date.starts_at, "EEEE"),
        hours=hours(session_date),
    )


def excluded_days(session_date: SessionDate, now: datetime | None = None) -> list[str]:
    """The coming days on which recurring office hours do not take place, in words."""
    today = (now or utcnow()).date()
    return [format_date(day, "full") for day in session_date.excluded if day >= today]


def commitment_label(group: Group) -> str:
    """The promise to attend, naming every date of the group."""
    days = [format_day(d.starts_at) for d in held_dates(group)]
    return gettext(
        "Je serai présent·e à chacune de ces dates : %(dates)s",
        dates=format_list(days, locale=str(get_locale())),
    )


def map_url(group: Group) -> str:
    """An OpenStreetMap link to the venue: its coordinates when known, else its address."""
    if group.latitude is not None and group.longitude is not None:
        lat, lon = group.latitude, group.longitude
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    return f"https://www.openstreetmap.org/search?query={quote_plus(group.address)}"


def group_calendar_url(group: Group) -> str:
    """The calendar service's .ics of every date of the group."""
    return links.group_calendar(group.id)


def personal_feed_url(registration: Registration) -> str:
    """The registration's own calendar feed (read-only token)."""
    return links.personal_feed(registration.calendar_token)


def certificate_offered(registration: Registration) -> bool:
    """Whether the manage page offers the participant their certificate of attendance."""
    return offers_certificate(db.session, registration)


def cancellable(registration: Registration) -> bool:
    """Whether the manage page offers the participant to cancel by themselves."""
    return participant_may_cancel(registration, utcnow())


def still_waiting(registration: Registration) -> bool:
    """Whether a waitlisted participant may still be given a place that frees up."""
    return place_of(registration, utcnow()) is Place.WAITING


def confirm_by(registration: Registration) -> str | None:
    """Until when the registration awaits confirmation from its email, or None."""
    if not (registration.is_active and awaits_confirmation(registration)):
        return None
    return format_moment(registration.confirm_by)


def cancellation_closed() -> str:
    """What the participant is told when they may no longer cancel by themselves."""
    return str(CancellationClosed.default_message)


def checkin_qr(registration: Registration) -> str | None:
    """The QR code of the participant's check-in code, to show at the door, or None while
    they hold no place."""
    if not checkin.shows_code(registration):
        return None
    return qr.svg_data_uri(checkin.checkin_code(registration))
