"""Text no database can store (NUL, lone surrogates) is stopped at the door of every service:
in a path it names nothing, anywhere else it is refused on its field in the reader's
language; it never reaches PostgreSQL, which would answer with an error (a 500)."""

from __future__ import annotations

import pytest

from services.calendar import create_app as create_calendar
from services.notifications import create_app as create_notifications
from services.registration import create_app as create_registration
from tests.conftest import closing


@pytest.mark.parametrize(
    ("factory", "path"),
    [
        (create_registration, "/api/v1/events/%00"),
        (create_registration, "/api/v1/registrations/%00"),
        (create_registration, "/manage/%00"),
        (create_calendar, "/feeds/events/%00.ics"),
        (create_calendar, "/feeds/personal/%00.ics"),
        (create_calendar, "/feeds/towns/li%00ge.ics"),
    ],
)
def test_a_path_that_no_database_can_store_names_nothing(base_config, factory, path):
    for app in closing(factory(dict(base_config))):
        response = app.test_client().get(path, headers={"Accept": "application/json"})

        assert response.status_code == 404
        assert response.json["code"] == "not_found"


@pytest.mark.parametrize(
    ("factory", "path", "field"),
    [
        (create_registration, "/api/v1/events?town=Li%00ge", "town"),
        (create_registration, "/organiser/login?next=%00", "next"),
        (create_calendar, "/feeds/all.ics?lang=%00", "lang"),
        # Before the token is even read: the refusal tells nothing about the data behind it.
        (create_notifications, "/api/v1/messages?recipient=%00", "recipient"),
    ],
)
def test_a_query_that_no_database_can_store_is_refused_on_its_field(
    base_config, factory, path, field
):
    for app in closing(factory(dict(base_config))):
        response = app.test_client().get(
            path, headers={"Accept": "application/json", "Accept-Language": "en"}
        )

        assert response.status_code == 422
        assert response.json["errors"] == {field: ["Control characters are not accepted."]}


def test_a_form_that_no_database_can_store_gets_the_page_back_in_its_language(base_config):
    for app in closing(create_registration(dict(base_config))):
        response = app.test_client().post(
            "/organiser/login?lang=uk",
            data={"email": "olena\x00@example.org", "password": "secret"},
            headers={"Accept": "text/html"},
        )

        assert response.status_code == 422
        assert response.mimetype == "text/html"
        assert "Керівні символи не приймаються." in response.get_data(as_text=True)
