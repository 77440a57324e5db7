"""What browsers and search engines read around the participant pages: no error in the
console, a description in the page's language, and a robots.txt they can parse."""

from __future__ import annotations

from urllib.request import urlopen
from urllib.robotparser import RobotFileParser

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page
from sqlalchemy.orm import Session

from shared.i18n import LANGUAGES
from tests.browser.conftest import SECRET_KEY
from tests.support.factories import Factory

pytestmark = pytest.mark.browser

WORKSHOP = "/events/pratiquer-action-evaluation-experimentalistes"


def participant_addresses(make: Factory, database: Session) -> list[str]:
    """The participant pages a visitor reaches: the list, an event, a group's form, the
    confirmation, the manage page and its cancellation, and the request for a lost link."""
    person = make.registration()
    # The link is derived under the servers' secret key, as their pages derive it.
    signer = Flask(__name__)
    signer.config["SECRET_KEY"] = SECRET_KEY
    with signer.app_context():
        token = person.manage_token
    database.close()
    return [
        "/",
        WORKSHOP,
        f"{WORKSHOP}?group=liege",
        f"/registrations/{token}/confirmation",
        f"/manage/{token}",
        f"/manage/{token}/cancel",
        "/manage-link",
    ]


def console_errors_on(page: Page, address: str) -> list[str]:
    """What ``address`` writes to the browser's console as errors once it has loaded."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", keep)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(address, wait_until="networkidle")
    page.remove_listener("console", keep)
    return errors


def test_no_participant_page_writes_an_error_to_the_console(
    registration_server, demo_events, make, database, new_page
):
    for path in participant_addresses(make, database):
        page = new_page()  # a fresh context: the browser asks again for what it did not cache
        assert console_errors_on(page, f"{registration_server}{path}") == [], path


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_participant_page_describes_itself_in_its_language(
    registration_server, demo_events, make, database, page: Page, language: str
):
    descriptions = set()
    for path in participant_addresses(make, database):
        separator = "&" if "?" in path else "?"
        page.goto(f"{registration_server}{path}{separator}lang={language}")
        description = page.locator('meta[name="description"]')
        assert description.count() == 1, path
        descriptions.add(description.get_attribute("content"))
    assert "" not in descriptions
    # The list and each event say what they hold; the personal pages share the site's own.
    assert len(descriptions) == 3, descriptions


def test_descriptions_differ_between_languages(registration_server, demo_events, page: Page):
    described = set()
    for language in LANGUAGES:
        page.goto(f"{registration_server}/?lang={language}")
        described.add(page.locator('meta[name="description"]').get_attribute("content"))
    assert len(described) == len(LANGUAGES)


def test_robots_txt_is_plain_text_that_lets_crawlers_read_the_events(registration_server):
    with urlopen(f"{registration_server}/robots.txt") as answer:
        content_type = answer.headers["Content-Type"]
        text = answer.read().decode()
    assert content_type.startswith("text/plain")
    robots = RobotFileParser()
    robots.parse(text.splitlines())
    for public in ("/", WORKSHOP):
        assert robots.can_fetch("*", f"{registration_server}{public}"), public
    for private in (
        "/manage/abc",
        "/registrations/abc/confirmation",
        "/organiser/",
        "/api/v1/events",
    ):
        assert not robots.can_fetch("*", f"{registration_server}{private}"), private
    # Every line is a directive a parser knows, a comment or blank: nothing to report.
    known = ("user-agent:", "allow:", "disallow:", "sitemap:", "#")
    assert all(not line or line.lower().startswith(known) for line in text.splitlines()), text
