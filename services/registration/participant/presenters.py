"""How events, groups and registrations read on the participant pages: availability,
dates in words, map and calendar links."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus

from babel.lists import format_list
from flask import current_app
from flask_babel import format_date, get_locale, gettext, ngettext

from shared.database import db, utcnow
from shared.domain.attendance import held_dates
from shared.domain.capacity import places_left, promotable
from shared.domain.certificates import offers_certificate
from shared.domain.evaluations import invitation_of, is_open, link_token
from shared.domain.registrations import check_registration_window, participant_may_cancel
from shared.errors import CancellationClosed, RegistrationClosed
from shared.i18n import format_day, format_hours
from shared.models import AttendanceRule, Event, Group, Registration, SessionDate


class Availability(enum.StrEnum):
    """What a group offers a newcomer right now."""

    PLACES_LEFT = "places_left"  # registering confirms a place
    WAITING_LIST = "waiting_list"  # full, but registering joins the waiting list
    FULL = "full"  # full and registration has closed
    CLOSED = "closed"  # registration not open (not yet, over, or the group was cancelled)


@dataclass(frozen=True)
class GroupStatus:
    """A group's availability, with the words to show and, when closed, why."""

    availability: Availability
    label: str
    reason: str | None = None

    @property
    def accepts_registrations(self) -> bool:
        """Whether the registration form may be offered for this group."""
        return self.availability in (Availability.PLACES_LEFT, Availability.WAITING_LIST)


def group_status(event: Event, group: Group, now: datetime | None = None) -> GroupStatus:
    """The group's availability as the registration rules see it at ``now``."""
    seats = places_left(group)
    try:
        check_registration_window(event, group, now or utcnow())
    except RegistrationClosed as closed:
        if seats == 0:
            return GroupStatus(Availability.FULL, gettext("Complet"), str(closed.message))
        return GroupStatus(
            Availability.CLOSED, gettext("Inscriptions fermées"), str(closed.message)
        )
    if seats is None:
        return GroupStatus(Availability.PLACES_LEFT, gettext("Places disponibles"))
    if seats > 0:
        label = ngettext("%(num)d place restante", "%(num)d places restantes", seats)
        return GroupStatus(Availability.PLACES_LEFT, label)
    return GroupStatus(Availability.WAITING_LIST, gettext("Complet : liste d'attente"))


def is_upcoming(event: Event, now: datetime | None = None) -> bool:
    """Whether the event still has a date to come (recurring office hours always do)."""
    now = now or utcnow()
    return any(d.recurrence_rule or d.ends_at > now for g in event.groups for d in held_dates(g))


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
    return f"{_calendar_base()}/sessions/{group.id}.ics"


def personal_feed_url(registration: Registration) -> str:
    """The registration's own calendar feed (read-only token)."""
    return f"{_calendar_base()}/feeds/personal/{registration.calendar_token}.ics"


def _calendar_base() -> str:
    return str(current_app.config["CALENDAR_BASE_URL"]).rstrip("/")


def evaluation_token(registration: Registration) -> str | None:
    """The token of the participant's link to the evaluation, while it receives answers."""
    invitation = invitation_of(db.session, registration)
    if invitation is None or not is_open(registration.group, utcnow()):
        return None
    return link_token(invitation)


def certificate_offered(registration: Registration) -> bool:
    """Whether the manage page offers the participant their certificate of attendance."""
    return offers_certificate(db.session, registration)


def cancellable(registration: Registration) -> bool:
    """Whether the manage page offers the participant to cancel by themselves."""
    return participant_may_cancel(registration, utcnow())


def still_waiting(registration: Registration) -> bool:
    """Whether a waitlisted participant may still be given a place that frees up."""
    return promotable(registration, utcnow())


def cancellation_closed() -> str:
    """What the participant is told when they may no longer cancel by themselves."""
    return str(CancellationClosed.default_message)
