"""Recurring dates: a weekly rule (weekdays, every N weeks, until a day or for a count, at
given times, with exceptions) expanded into dates, Belgian public holidays skipped and
listed. At most MAX_SERIES_DATES dates per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice

from dateutil.rrule import FR, MO, SA, SU, TH, TU, WE, WEEKLY, rrule
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from shared.errors import InvalidRequest
from shared.holidays_be import holiday_name
from shared.i18n import BRUSSELS

MAX_SERIES_DATES = 200
WEEKDAYS = {"MO": MO, "TU": TU, "WE": WE, "TH": TH, "FR": FR, "SA": SA, "SU": SU}


@dataclass(frozen=True)
class WeeklyRule:
    """Which days a series meets on, and at what times (Brussels wall-clock)."""

    weekdays: list[str]
    first_day: date
    start_time: time
    end_time: time
    every_weeks: int = 1
    until: date | None = None
    count: int | None = None
    exceptions: list[date] = field(default_factory=list)
    skip_holidays: bool = True


@dataclass(frozen=True)
class Series:
    """The dates a rule yields, and the holidays it skipped."""

    slots: list[tuple[datetime, datetime]]
    holidays: list[tuple[date, LazyString]]


def expand(rule: WeeklyRule) -> Series:
    """The rule's dates; refused (422) when it yields none or more than MAX_SERIES_DATES."""
    days = rrule(
        WEEKLY,
        dtstart=datetime.combine(rule.first_day, time(0)),
        interval=rule.every_weeks,
        byweekday=[WEEKDAYS[day] for day in rule.weekdays],
        until=datetime.combine(rule.until, time(0)) if rule.until else None,
        count=rule.count,
    )
    field_name = "until" if rule.until else "count"
    # One more than allowed is enough to know the rule asks too many.
    occurrences = [moment.date() for moment in islice(days, MAX_SERIES_DATES + 1)]
    if len(occurrences) > MAX_SERIES_DATES:
        message = _l("Au plus %(max)s dates par demande.", max=MAX_SERIES_DATES)
        raise InvalidRequest(errors={field_name: [message]})
    slots: list[tuple[datetime, datetime]] = []
    holidays: list[tuple[date, LazyString]] = []
    for day in occurrences:
        if day in rule.exceptions:
            continue
        name = holiday_name(day) if rule.skip_holidays else None
        if name is not None:
            holidays.append((day, name))
            continue
        slots.append(
            (
                datetime.combine(day, rule.start_time, tzinfo=BRUSSELS),
                datetime.combine(day, rule.end_time, tzinfo=BRUSSELS),
            )
        )
    if not slots:
        raise InvalidRequest(errors={field_name: [_l("Cette règle ne donne aucune date.")]})
    return Series(slots, holidays)
