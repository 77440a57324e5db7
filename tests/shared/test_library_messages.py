"""marshmallow and webargs speak English: their messages reach clients in the request's
language, the limits and choices they carry included."""

from __future__ import annotations

import pytest

from shared.errors_http import translate


@pytest.mark.parametrize(
    ("library", "ours"),
    [
        ("Must be one of: a, b.", "Choose one of: a, b."),
        ("Longer than maximum length 80.", "At most 80 characters."),
        ("Shorter than minimum length 2.", "At least 2 characters."),
        ("Length must be between 1 and 200.", "From 1 to 200 characters."),
        (
            "Must be greater than or equal to -90 and less than or equal to 90.",
            "From -90 to 90.",
        ),
        ("Must be greater than or equal to 0.", "At least 0."),
        ("Must be less than or equal to 5.", "At most 5."),
        ("Not a valid integer.", "A whole number is expected."),
        ("Our own message.", "Our own message."),
    ],
)
def test_library_messages_are_read_into_the_requests_language(app, library, ours):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert translate(library) == ours
