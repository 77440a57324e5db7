"""Moments as pages, emails, invitations and clash messages write them: in Brussels time,
as Babel would write them in every language, on either side of a change of the clocks; the
two times of a session kept in order in right-to-left text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale, format_datetime

from shared.i18n import clock, format_hours, format_short, init_i18n

LANGUAGES = ["fr", "en", "uk", "ar"]


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    init_i18n(app)
    return app


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 1, 15, 8, 30, tzinfo=UTC), "09:30"),  # winter: UTC+1
        (datetime(2026, 7, 15, 8, 30, tzinfo=UTC), "10:30"),  # summer: UTC+2
        (datetime(2026, 3, 29, 0, 59), "01:59"),  # naive, read as UTC, before the change
        (datetime(2026, 3, 29, 1, 0), "03:00"),  # and at it
    ],
)
def test_a_time_of_day_reads_as_brussels_time(moment, expected):
    assert clock(moment) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_session_s_hours_in_each_language(app, language):
    start, end = datetime(2026, 10, 6, 7, 30, tzinfo=UTC), datetime(2026, 10, 6, 14, tzinfo=UTC)

    with app.test_request_context(), force_locale(language):
        hours = format_hours(start, end)

    assert hours.strip("\u2066\u2069") == "09:30–16:00"
    assert hours.startswith("\u2066") is (language == "ar")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_short_form_is_babel_s(app, language):
    # Every 37 minutes across the night the clocks go forward, and around noon and midnight.
    start = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
    moments = [start + timedelta(minutes=37 * n) for n in range(60)]

    with app.test_request_context(), force_locale(language):
        assert [format_short(m) for m in moments] == [format_datetime(m, "short") for m in moments]


def test_the_short_form_is_in_brussels_time_naive_moments_being_utc(app):
    with app.test_request_context(), force_locale("fr"):
        assert format_short(datetime(2026, 7, 15, 22, 30, tzinfo=UTC)) == "16/07/2026 00:30"
        assert format_short(datetime(2026, 7, 15, 22, 30)) == "16/07/2026 00:30"
