"""Languages: French by default, English, Ukrainian and Arabic; one gettext catalogue for every
service. ``LANGUAGES`` is the one place that names them: each one's name and writing direction
come from Babel."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates
from babel.units import format_unit
from flask import Flask, has_request_context, request
from flask_babel import Babel, format_date, get_locale

LANGUAGES = ("fr", "en", "uk", "ar")
# Each language by its own name, as the language switcher and the organiser forms offer it.
LANGUAGE_NAMES = {
    code: Locale.parse(code).get_display_name(code).capitalize() for code in LANGUAGES
}
DEFAULT_LANGUAGE = "fr"
# Every date is shown, entered and scheduled in the centre's time zone.
TIME_ZONE = "Europe/Brussels"
BRUSSELS = ZoneInfo(TIME_ZONE)
LANGUAGE_COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_language() -> str:
    """The request's language: an explicit ?lang=, then the cookie, then Accept-Language;
    French outside a request (a command's messages)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    # Most requests (every calendar's polling) carry no cookie: none is parsed for them.
    if request.environ.get("HTTP_COOKIE"):
        remembered = request.cookies.get(LANGUAGE_COOKIE)
        if remembered in LANGUAGES:
            return remembered
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


# Asked for every time a page, email or PDF writes a session's hours: parsing the locale each
# time would cost more than the answer, which never changes.
@lru_cache(maxsize=16)
def text_direction(language: str) -> str:
    """ "rtl" for a language written right to left, else "ltr": the value of a ``dir``."""
    return "rtl" if Locale.parse(language).character_order == "right-to-left" else "ltr"


def init_i18n(app: Flask) -> Babel:
    """Attach Flask-Babel with the shared catalogue and the Brussels timezone; give templates
    the filters that write dates, times and lengths in the current language."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIME_ZONE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.jinja_env.filters.update(
        day=format_day, hours=format_hours, duration=format_duration, direction=text_direction
    )
    return Babel(app, locale_selector=select_language)


def current_language() -> str:
    """The language of the current request, French outside one."""
    return str(get_locale() or DEFAULT_LANGUAGE) if has_request_context() else DEFAULT_LANGUAGE


def format_day(moment: datetime) -> str:
    """A date as people say it in the current language, in Brussels time: "mardi 3 octobre 2023"."""
    return format_date(moment, "full")


def in_brussels(moment: datetime) -> datetime:
    """``moment`` in Brussels time; a naive moment is UTC, as the database stores it."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(BRUSSELS)


def clock(moment: datetime) -> str:
    """The time of day in Brussels, "09:30" in every language."""
    # Written out, not through Babel: the same digits everywhere, a tenth of the cost,
    # and the sessions page writes two for every date it lists.
    return in_brussels(moment).strftime("%H:%M")


def format_hours(start: datetime, end: datetime) -> str:
    """The times of day a session runs, in Brussels time: "09:30–16:00"."""
    hours = f"{clock(start)}–{clock(end)}"
    # In a right-to-left sentence the two times would trade places: isolated left to right
    # (LRI … PDI), they read the same in pages, emails, invitations and PDFs.
    language = str(get_locale() or DEFAULT_LANGUAGE)
    return f"\u2066{hours}\u2069" if text_direction(language) == "rtl" else hours


def format_moment(moment: datetime) -> str:
    """A day and time of day, in Brussels time: "mardi 3 octobre 2023, 14:30"."""
    time = clock(moment)
    language = str(get_locale() or DEFAULT_LANGUAGE)
    if text_direction(language) == "rtl":
        time = f"\u2066{time}\u2069"
    return f"{format_day(moment)}, {time}"


def format_short(moment: datetime) -> str:
    """A day and time in the current language's short form, in Brussels time, as Babel's
    ``format_datetime(moment, "short")`` writes it: "07/12/2026 09:30", "12/7/26, 9:30 AM"."""
    local = in_brussels(moment)
    language = str(get_locale() or DEFAULT_LANGUAGE)
    pattern, hour = _short_time(local.hour, local.minute, language)
    return pattern.replace("{0}", hour).replace("{1}", _short_day(local.date(), language))


# A list of clashes writes two moments a clash, most on a few days and at a few times of day:
# each is written once per language rather than through Babel's formatter every time.
@lru_cache(maxsize=1024)
def _short_day(day: date, language: str) -> str:
    return dates.format_date(day, "short", locale=language)


@lru_cache(maxsize=1024)
def _short_time(hour: int, minute: int, language: str) -> tuple[str, str]:
    pattern = dates.get_datetime_format("short", locale=language).replace("'", "")
    return pattern, dates.format_time(time(hour, minute), "short", locale=language)


def format_validity(delta: timedelta) -> str:
    """How long a link stays valid, in the current language: "7 jours", "1 hour"."""
    if delta.days and not delta.seconds:
        return format_unit(delta.days, "duration-day", length="long", locale=get_locale())
    return format_duration(delta.total_seconds() / 3600)


def format_duration(hours: float) -> str:
    """A length in hours, with the current language's plural: "6,5 heures", "1 hour"."""
    return format_unit(round(hours, 2), "duration-hour", length="long", locale=get_locale())
