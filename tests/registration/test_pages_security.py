"""Security headers on every page, no inline script or style, and pages light enough for a
slow phone."""

import re
from pathlib import Path

import pytest

from tests.support.links import manage_token
from tests.support.pages import text_of

STATIC = Path(__file__).resolve().parents[2] / "services" / "registration" / "static"
PAGE_BUDGET_BYTES = 100 * 1024


@pytest.fixture
def page_paths(make):
    group = make.group(make.event(slug="atelier"), slug="jambes")
    token = manage_token(make.registration(group))
    return [
        "/",
        "/events/atelier",
        "/events/atelier?group=jambes",
        f"/registrations/{token}/confirmation",
        f"/manage/{token}",
        f"/manage/{token}/cancel",
        "/manage-link",
        "/no-such-page",
    ]


def test_every_page_sends_the_security_headers(client, page_paths):
    for path in page_paths:
        headers = client.get(path).headers

        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer", path


def test_pages_whose_address_holds_a_token_send_no_referrer(client, make):
    registration = make.registration()

    for path in (
        f"/manage/{manage_token(registration)}",
        f"/registrations/{manage_token(registration)}/confirmation",
    ):
        assert client.get(path).headers["Referrer-Policy"] == "no-referrer"


def test_the_api_keeps_its_docs_usable_and_still_refuses_sniffing(client, db_session):
    response = client.get("/api/v1/events")

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers


def test_pages_hold_no_inline_script_or_style(client, page_paths):
    for path in page_paths:
        page = text_of(client.get(path))

        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert " style=" not in page and "<style" not in page, path
        assert "http://" not in page.replace("http://127.0.0.1:5003/", ""), path


def test_every_page_with_its_css_stays_under_100_kb(client, page_paths):
    stylesheet = (STATIC / "site.css").stat().st_size

    for path in page_paths:
        assert len(client.get(path).data) + stylesheet < PAGE_BUDGET_BYTES, path
