"""The sessions page and its archive on a phone, in French and in Arabic, with and without
JavaScript: the filters, "more" and the archive are links; every page passes axe-core."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from shared.database import utcnow
from tests.browser.conftest import check_page
from tests.support.factories import local

pytestmark = pytest.mark.browser

WORDS = {
    "fr-BE": {"more": "Plus d'événements", "past": "Événements passés", "all": "Toutes les villes"},
    "ar": {"more": "مزيد من الفعاليات", "past": "الفعاليات السابقة", "all": "كل المدن"},
}


@pytest.fixture
def history(demo_events, make):
    """The demo's coming events, 22 more in Namur, and two held in 2024."""
    for n in range(22):
        start = utcnow() + timedelta(days=n + 2)
        make.group(
            make.event(slug=f"formation-{n:02}", title={"fr": f"Formation {n:02}"}),
            town="Namur",
            town_slug="namur",
            dates=[(start, start + timedelta(hours=3))],
        )
    for slug, day in (("bilan-printemps", "2024-04-09"), ("bilan-automne", "2024-10-15")):
        make.group(
            make.event(slug=slug, title={"fr": slug.replace("-", " ").capitalize()}),
            dates=[(local(f"{day}T09:30"), local(f"{day}T16:00"))],
        )
    make.session.close()


@pytest.mark.parametrize("locale", ["fr-BE", "ar"])
@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_the_sessions_page_and_archive_on_a_phone(
    registration_server, history, new_page, locale, javascript
):
    words = WORDS[locale]
    page: Page = new_page(locale=locale, javascript=javascript)

    page.goto(registration_server + "/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if locale == "ar" else "ltr")
    assert page.locator("article.card").count() == 20
    if javascript:  # axe-core runs as a script: it checks the pages where scripts run
        check_page(page, screenshot=f"sessions-{locale}")

    page.get_by_role("link", name="Namur", exact=True).click()
    expect(page).to_have_url(registration_server + "/?town=namur")
    expect(page.get_by_role("link", name="Namur", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    page.get_by_role("link", name=words["more"]).click()
    expect(page.get_by_role("heading", name="Formation 21")).to_be_visible()
    assert "town=namur" in page.url and "cursor=" in page.url
    expect(page.get_by_role("link", name=words["more"])).to_have_count(0)

    page.get_by_role("link", name=words["past"]).click()
    expect(page).to_have_url(registration_server + "/archive")
    expect(page.locator("h1")).to_contain_text("2024")
    expect(page.locator("article.card h2")).to_have_count(2)
    titles = page.locator("article.card h2").all_inner_texts()
    assert titles == ["Bilan automne", "Bilan printemps"]  # latest first
    if javascript:
        check_page(page, screenshot=f"archive-{locale}")
