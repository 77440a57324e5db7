"""Arabic, written right to left: every participant page says so, one stylesheet serves both
directions (logical properties only), and the fragments that must read left to right — times,
addresses, email addresses, links — are isolated so that they do not scramble."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.models import Registration
from tests.registration.helpers import registration_body
from tests.support.links import manage_token
from tests.support.pages import text_of

ROOT = Path(__file__).resolve().parents[2]
STYLESHEETS = [
    ROOT / "services/registration/static/site.css",
    ROOT / "services/registration/static/organiser.css",
    ROOT / "services/calendar/static/calendar.css",
]
# Properties that name a physical side: mirrored pages need start and end instead.
PHYSICAL = re.compile(
    r"(?:margin|padding|border)-(?:left|right)\b|text-align:\s*(?:left|right)\b"
    r"|float:\s*(?:left|right)\b|(?<![\w-])(?:left|right):"
)
TIMES = re.compile(r"\d\d:\d\d–\d\d:\d\d")
ISOLATE, POP = "\u2066", "\u2069"


def physical_sides(css: str) -> list[str]:
    """The declarations of a stylesheet that name a physical side."""
    return PHYSICAL.findall(re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL))


@pytest.mark.parametrize("stylesheet", STYLESHEETS, ids=lambda path: path.name)
def test_stylesheets_use_logical_sides_only(stylesheet):
    assert physical_sides(stylesheet.read_text()) == []


def test_the_stylesheet_check_finds_a_physical_side():
    css = ".a { margin-left: 1rem; text-align: right; } .b { left: 0; inset-inline-start: 0 }"

    assert physical_sides(css) == ["margin-left", "text-align: right", "left:"]


@pytest.fixture
def registration(make):
    event = make.event(slug="atelier", organiser_contact="Réseau Egalité — 081/77 51 91")
    group = make.group(event, slug="jambes", venue_name="HELMo ESAS", postcode="4020")
    return make.registration(group, email="aicha@example.org", language="ar")


def test_every_participant_page_in_arabic_is_right_to_left_with_ltr_fragments_isolated(
    client, registration
):
    token = manage_token(registration)
    client.set_cookie("lang", "ar")
    paths = (
        "/",
        "/events/atelier",
        "/events/atelier?group=jambes",
        f"/registrations/{token}/confirmation",
        f"/manage/{token}",
        f"/manage/{token}/cancel",
        "/manage-link",
        "/no-such-page",
    )
    pages = {path: text_of(client.get(path)) for path in paths}

    for path, page in pages.items():
        assert '<html lang="ar" dir="rtl">' in page, path
        # Each time range sits between a left-to-right isolate and its end.
        for times in TIMES.finditer(page):
            assert page[times.start() - 1] == ISOLATE and page[times.end()] == POP, path
    form = pages["/events/atelier?group=jambes"]
    assert re.search(r'<input id="f-email"[^>]*dir="ltr"', form)
    assert re.search(r'<input id="f-phone"[^>]*dir="ltr"', form)
    assert "<bdi>Réseau Egalité — 081/77 51 91</bdi>" in form
    assert (
        '<span dir="ltr">aicha@example.org</span>' in pages[f"/registrations/{token}/confirmation"]
    )
    assert '<p class="feed-address" dir="ltr">' in pages[f"/manage/{token}"]
    assert "<bdi>HELMo ESAS</bdi>" in pages[f"/manage/{token}"]
    assert TIMES.search(pages[f"/manage/{token}"])  # the dates were checked above
    # The event's texts, written in French only, are shown as French, left to right.
    assert '<h1 lang="fr" dir="ltr">' in pages["/events/atelier"]


def test_the_api_takes_arabic_as_a_participants_language(client, make, db_session):
    group = make.group(make.event(slug="atelier"), slug="jambes")

    created = client.post(
        "/api/v1/events/atelier/registrations",
        json=registration_body("jambes", language="ar", email="amal@example.org"),
    )

    assert created.status_code == 201
    stored = db_session.scalar(select(Registration).where(Registration.group_id == group.id))
    assert stored.language == "ar"
