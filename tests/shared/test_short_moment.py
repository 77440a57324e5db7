"""A moment in short form, as clash messages write it: the same text as Babel's short
format, in every language and on either side of a change of the clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale, format_datetime

from shared.i18n import format_short, init_i18n


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    init_i18n(app)
    return app


@pytest.mark.parametrize("language", ["fr", "en", "uk", "ar"])
def test_the_short_form_is_babel_s(app, language):
    # Every 37 minutes across the night the clocks go forward, and around noon and midnight.
    start = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
    moments = [start + timedelta(minutes=37 * n) for n in range(60)]

    with app.test_request_context(), force_locale(language):
        assert [format_short(m) for m in moments] == [format_datetime(m, "short") for m in moments]


def test_the_short_form_is_in_brussels_time(app):
    with app.test_request_context(), force_locale("fr"):
        assert format_short(datetime(2026, 7, 15, 22, 30, tzinfo=UTC)) == "16/07/2026 00:30"
