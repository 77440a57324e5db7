"""Times of day as every page, email and invitation writes them: Brussels time, the same
digits in every language, the two times of a session kept in order in right-to-left text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_babel import force_locale

from shared.i18n import clock, format_hours, init_i18n


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
def test_a_moment_reads_as_brussels_time(moment, expected):
    assert clock(moment) == expected


@pytest.mark.parametrize("language", ["fr", "en", "uk", "ar"])
def test_a_session_s_hours_in_each_language(app, language):
    start, end = datetime(2026, 10, 6, 7, 30, tzinfo=UTC), datetime(2026, 10, 6, 14, tzinfo=UTC)

    with app.test_request_context(), force_locale(language):
        hours = format_hours(start, end)

    assert hours.strip("\u2066\u2069") == "09:30–16:00"
    assert hours.startswith("\u2066") is (language == "ar")
