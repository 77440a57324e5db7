"""Belgian public holidays of a year, computed: the fixed ones and those that follow Easter
(dateutil's Western Easter). Series of dates skip them by default."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from dateutil.easter import easter
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

FIXED: tuple[tuple[int, int, LazyString], ...] = (
    (1, 1, _l("Jour de l'an")),
    (5, 1, _l("Fête du Travail")),
    (7, 21, _l("Fête nationale")),
    (8, 15, _l("Assomption")),
    (11, 1, _l("Toussaint")),
    (11, 11, _l("Armistice")),
    (12, 25, _l("Noël")),
)
# Days after Easter Sunday.
MOVABLE: tuple[tuple[int, LazyString], ...] = (
    (0, _l("Pâques")),
    (1, _l("Lundi de Pâques")),
    (39, _l("Ascension")),
    (49, _l("Pentecôte")),
    (50, _l("Lundi de Pentecôte")),
)


@cache
def holidays_of(year: int) -> dict[date, LazyString]:
    """Every public holiday of ``year`` in Belgium, by date."""
    sunday = easter(year)
    found = {date(year, month, day): name for month, day, name in FIXED}
    found.update({sunday + timedelta(days=days): name for days, name in MOVABLE})
    return found


def holiday_name(day: date) -> LazyString | None:
    """The holiday ``day`` is in Belgium, or None."""
    return holidays_of(day.year).get(day)
