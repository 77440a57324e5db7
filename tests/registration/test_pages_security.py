"""Security headers on every page, no inline script or style, and pages light enough for a
slow phone."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shared.domain import certificates
from shared.models import Attendance, Registration
from tests.organiser.conftest import Accounts, closed_group, log_in
from tests.support.links import manage_token
from tests.support.pages import text_of

STATIC = Path(__file__).resolve().parents[2] / "services" / "registration" / "static"
PAGE_BUDGET_BYTES = 100 * 1024


@pytest.fixture
def page_paths(app, make, db_session, client) -> dict[str, int]:
    """Every kind of page, the participant's and the organiser's (the client logged in as an
    administrator), with the status each answers."""
    closed, [evaluation_token] = closed_group(app, make, db_session, present=1)
    graduate = db_session.scalar(select(Registration).where(Registration.group_id == closed.id))
    db_session.add(Attendance(registration=graduate, session_date=closed.dates[1], present=True))
    with app.app_context():
        code = certificates.issue(db_session, graduate).code
    db_session.commit()
    assert log_in(client, Accounts(db_session)(admin=True)).status_code == 303
    event, group_page = f"/organiser/events/{closed.event.slug}", closed.slug
    group = make.group(make.event(slug="atelier"), slug="jambes")
    token = manage_token(make.registration(group))
    participant = [
        "/",
        "/events/atelier",
        "/events/atelier?group=jambes",
        f"/registrations/{token}/confirmation",
        f"/manage/{token}",
        f"/manage/{token}/cancel",
        "/manage-link",
        f"/evaluations/{evaluation_token}",
        f"/certificates/{code}",
    ]
    organiser = [
        "/organiser/",
        f"{event}/",
        f"{event}/groups/{group_page}/",
        f"{event}/dates/{closed.dates[0].id}/presence",
        f"{event}/evaluations",
        f"{event}/evaluation/questions",
        f"{event}/edit",
        f"{event}/log",
        "/organiser/account",
        "/organiser/accounts",
    ]
    return {**dict.fromkeys(participant + organiser, 200), "/no-such-page": 404}


def pages(client, page_paths: dict[str, int]) -> Iterator[tuple[str, Any]]:
    """Each page and its response, once it answered with the status it should."""
    for path, status in page_paths.items():
        response = client.get(path)
        assert response.status_code == status, path
        yield path, response


def test_every_page_sends_the_security_headers(client, page_paths):
    for path, response in pages(client, page_paths):
        headers = response.headers

        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy, path  # no page may be framed...
        assert headers["X-Frame-Options"] == "DENY", path  # ...by older browsers either
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
    for path, response in pages(client, page_paths):
        page = text_of(response)

        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert " style=" not in page and "<style" not in page, path
        assert "http://" not in page.replace("http://127.0.0.1:5003/", ""), path


def test_every_page_with_its_css_stays_under_100_kb(client, page_paths):
    stylesheet = (STATIC / "site.css").stat().st_size

    for path, response in pages(client, page_paths):
        assert len(response.data) + stylesheet < PAGE_BUDGET_BYTES, path
