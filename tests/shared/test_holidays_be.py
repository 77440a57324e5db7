"""Belgian public holidays are computed for any year, Easter's with it."""

from __future__ import annotations

from datetime import date

from shared.holidays_be import holiday_name, holidays_of


def test_the_public_holidays_of_2024_fall_on_their_days():
    days = sorted(holidays_of(2024))

    assert days == [
        date(2024, 1, 1),
        date(2024, 3, 31),  # Easter Sunday
        date(2024, 4, 1),  # Easter Monday
        date(2024, 5, 1),
        date(2024, 5, 9),  # Ascension
        date(2024, 5, 19),  # Whit Sunday
        date(2024, 5, 20),  # Whit Monday
        date(2024, 7, 21),
        date(2024, 8, 15),
        date(2024, 11, 1),
        date(2024, 11, 11),
        date(2024, 12, 25),
    ]


def test_easter_based_holidays_move_with_easter(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(holiday_name(date(2025, 4, 21))) == "Easter Monday"
        assert str(holiday_name(date(2025, 6, 9))) == "Whit Monday"
    assert holiday_name(date(2025, 4, 22)) is None
