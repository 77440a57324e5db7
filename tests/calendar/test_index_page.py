"""The page listing the feeds: https and webcal addresses, in French, English and Ukrainian,
light and accessible, with no script inline and nothing from another site."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.calendar.conftest import CALENDAR_BASE_URL


class PageParts(HTMLParser):
    """Collects the parts of a page the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang = ""
        self.inline_scripts = 0
        self.external = []
        self.inputs: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.links: list[str] = []
        self.headings: list[str] = []
        self._in_script = False
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.html_lang = attributes.get("lang", "")
        if tag == "script":
            self._in_script = True
            if not attributes.get("src"):
                self.inline_scripts += 1
        for name in ("src", "href"):
            value = attributes.get(name, "")
            if tag in ("script", "link", "img") and re.match(r"(https?:)?//", value):
                self.external.append(value)
        if tag == "input":
            self.inputs.append(attributes)
        if tag == "label":
            self.labels.add(attributes.get("for", ""))
        if tag == "a":
            self.links.append(attributes.get("href", ""))
        self._in_heading = tag in ("h1", "h2")

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"
        self._in_heading = False

    def handle_data(self, data):
        if self._in_heading and data.strip():
            self.headings.append(data.strip())


def page(client, query: str = "", **headers: str) -> PageParts:
    response = client.get(f"/{query}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    parts = PageParts()
    parts.feed(response.data.decode())
    return parts


def test_page_lists_every_feed_with_https_and_webcal_addresses(client, make):
    make.group(make.event(slug="atelier-liege"), town="Liège", town_slug="liege")

    parts = page(client)

    addresses = [field["value"] for field in parts.inputs]
    assert f"{CALENDAR_BASE_URL}/feeds/all.ics?lang=fr" in addresses
    assert f"{CALENDAR_BASE_URL}/feeds/towns/liege.ics?lang=fr" in addresses
    assert f"{CALENDAR_BASE_URL}/feeds/events/atelier-liege.ics?lang=fr" in addresses
    assert "webcal://agenda.example.org/feeds/towns/liege.ics?lang=fr" in parts.links


@pytest.mark.parametrize(
    ("query", "headers", "language", "heading"),
    [
        ("", {}, "fr", "Calendriers des formations et permanences"),
        ("?lang=en", {}, "en", "Calendars of trainings and office hours"),
        ("", {"Accept-Language": "uk"}, "uk", "Календарі навчань і консультацій"),
    ],
)
def test_page_speaks_the_requested_language(client, db_session, query, headers, language, heading):
    parts = page(client, query, **headers)

    assert parts.html_lang == language
    assert parts.headings[0] == heading


def test_page_remembers_the_language_cookie(client, db_session):
    client.set_cookie("lang", "en")

    parts = page(client, **{"Accept-Language": "uk"})

    assert parts.html_lang == "en"


def test_feed_addresses_keep_the_page_language(client, make):
    make.group()

    parts = page(client, "?lang=uk")

    assert all(field["value"].endswith("?lang=uk") for field in parts.inputs)


def test_page_has_no_inline_script_nothing_external_and_labelled_fields(client, make):
    make.group()

    parts = page(client)

    assert parts.inline_scripts == 0
    assert parts.external == []
    assert parts.inputs
    assert all(field["id"] in parts.labels for field in parts.inputs)


def test_page_loads_only_its_own_assets_and_is_framed_by_no_site(client, db_session):
    response = client.get("/")

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert (policy["script-src"], policy["style-src"]) == ("'self'", "'self'")
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_page_assets_are_served_by_the_service(client, db_session):
    for asset in ("/static/calendar.css", "/static/copy.js"):
        with client.get(asset) as response:
            assert response.status_code == 200
