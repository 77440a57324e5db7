"""Every page in French, English, Ukrainian and Arabic (right to left): chosen by ?lang, the
cookie or Accept-Language, switched without leaving the page."""

import pytest

from tests.support.links import manage_token
from tests.support.pages import submit, text_of

LANGUAGES = {
    "fr": ("Formations et ateliers à venir", "Mon inscription", "S'inscrire"),
    "en": ("Upcoming trainings and workshops", "My registration", "Register"),
    "uk": ("Майбутні навчання та семінари", "Моя реєстрація", "Реєстрація"),
    "ar": ("الدورات التدريبية والورش القادمة", "تسجيلي", "التسجيل"),
}
DIRECTIONS = {"fr": "ltr", "en": "ltr", "uk": "ltr", "ar": "rtl"}


@pytest.fixture
def registration(make):
    group = make.group(make.event(slug="atelier"), slug="jambes")
    return make.registration(group)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_speaks_the_chosen_language(client, registration, language):
    home_title, manage_title, register_title = LANGUAGES[language]
    token = manage_token(registration)
    client.set_cookie("lang", language)

    pages = {
        path: text_of(client.get(path))
        for path in (
            "/",
            "/events/atelier?group=jambes",
            f"/registrations/{token}/confirmation",
            f"/manage/{token}",
            f"/manage/{token}/cancel",
            "/manage-link",
            "/no-such-page",
        )
    }

    for page in pages.values():
        assert f'<html lang="{language}" dir="{DIRECTIONS[language]}">' in page
    assert home_title in pages["/"]
    assert register_title in pages["/events/atelier?group=jambes"]
    assert manage_title in pages[f"/manage/{token}"]


@pytest.mark.parametrize(
    ("language", "error"),
    [
        ("fr", "Ce champ ne peut pas être vide."),
        ("en", "This field may not be empty."),
        ("uk", "Це поле не може бути порожнім."),
    ],
)
def test_form_errors_speak_the_page_language(client, registration, language, error):
    client.set_cookie("lang", language)

    response = submit(
        client,
        "/events/atelier?group=jambes",
        "/events/atelier",
        {"group": "jambes", "first_name": "", "consent": "y", "commit_all_dates": "y"},
    )

    assert error in text_of(response)


@pytest.mark.parametrize(
    ("language", "day"),
    [("fr", "mardi"), ("en", "Tuesday"), ("uk", "вівторок")],
)
def test_dates_are_written_in_the_page_language(client, make, language, day):
    from tests.support.factories import local

    make.group(
        make.event(slug="atelier"),
        dates=[(local("2030-10-01T09:30"), local("2030-10-01T16:00"))],
    )

    page = text_of(client.get(f"/events/atelier?lang={language}"))

    assert day in page


def test_first_visit_follows_accept_language(client, db_session):
    page = text_of(client.get("/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"}))

    assert '<html lang="uk" dir="ltr">' in page


def test_switcher_remembers_the_choice_and_returns_to_the_same_page(client, registration):
    page = text_of(client.get("/events/atelier?group=jambes"))
    assert 'href="/language/en?next=/events/atelier?group%3Djambes"' in page

    response = client.get("/language/en?next=/events/atelier?group%3Djambes")

    assert response.status_code == 303
    assert response.location == "/events/atelier?group=jambes"
    cookie = client.get_cookie("lang")
    assert cookie.value == "en"
    assert '<html lang="en" dir="ltr">' in text_of(client.get(response.location))


@pytest.mark.parametrize(
    "target", ["https://evil.example.org/", "//evil.example.org/", "javascript:x"]
)
def test_switcher_never_sends_visitors_to_another_site(client, db_session, target):
    response = client.get("/language/uk", query_string={"next": target})

    assert response.location == "/"


def test_unknown_language_is_not_found(client, db_session):
    assert client.get("/language/de?next=/").status_code == 404


def test_error_pages_are_html_in_the_page_language_but_the_api_keeps_json(client, db_session):
    page = client.get("/no-such-page", headers={"Accept-Language": "uk"})
    api = client.get("/api/v1/events/nope", headers={"Accept-Language": "uk"})
    asked_json = client.get("/no-such-page", headers={"Accept": "application/json"})

    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Цього ресурсу не існує." in text_of(page)
    assert api.status_code == 404 and api.json["code"] == "not_found"
    assert asked_json.json["status"] == 404
