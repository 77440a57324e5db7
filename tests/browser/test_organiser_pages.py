"""The organiser area in headless Chromium against gunicorn: logging in, marking presence on
a phone, downloading the roster as XLSX, printing the attendance sheet, the participation
report's charts and the head counts of drop-in dates on a phone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import create_db_engine, utcnow
from shared.models import Attendance, AttendanceRule, EventKind, Organiser
from tests.browser.conftest import EMAIL, PASSWORD, TITLE, Site, check_page, screenshot_path
from tests.organiser.conftest import held_days_ago
from tests.support.factories import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page the size of a phone, touch enabled."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
        locale="fr-BE",
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def log_in(page: Page, site: Site) -> None:
    """Open the organiser area and log in through the form."""
    page.goto(f"{site.url}/organiser/")
    expect(page).to_have_url(f"{site.url}/organiser/login?next=/organiser/")
    page.screenshot(path=screenshot_path("organiser-login-phone.png"))
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{site.url}/organiser/")


def attendance_marks(site: Site) -> dict[int, bool]:
    """What the database holds for the date, by registration id."""
    engine = create_db_engine(site.engine_url)
    with Session(engine) as session:
        rows = session.scalars(select(Attendance).where(Attendance.session_date_id == site.date_id))
        marks = {a.registration_id: a.present for a in rows}
    engine.dispose()
    return marks


def fits_the_screen(page: Page) -> bool:
    """No sideways scrolling on the page."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_organiser_logs_in_and_marks_presence_on_a_phone(phone: Page, site: Site):
    log_in(phone, site)
    phone.get_by_role("link", name=TITLE).click()
    expect(phone.get_by_role("heading", name=TITLE)).to_be_visible()
    phone.screenshot(path=screenshot_path("organiser-event-phone.png"), full_page=True)
    phone.get_by_role("link", name="Présences").first.click()
    expect(phone.get_by_role("heading", name="Présences")).to_be_visible()

    phone.get_by_role("button", name="Présent : Amina Benali").tap()
    expect(phone.locator(f"#p{site.participants['Benali']}")).to_have_class("is-present")
    phone.get_by_role("button", name="Présent : Olena Kovalenko").tap()
    phone.get_by_role("button", name="Absent : Jan Claes").tap()
    expect(phone.locator(f"#p{site.participants['Claes']}")).to_have_class("is-absent")
    expect(phone.get_by_text("Présence enregistrée.")).to_be_visible()
    expect(phone.locator("p.tally")).to_contain_text("2 / 4")

    assert fits_the_screen(phone)
    phone.screenshot(path=screenshot_path("organiser-presence-phone.png"), full_page=True)
    assert attendance_marks(site) == {
        site.participants["Benali"]: True,
        site.participants["Kovalenko"]: True,
        site.participants["Claes"]: False,
    }


def test_organiser_downloads_the_roster_as_xlsx(phone: Page, site: Site):
    log_in(phone, site)
    phone.goto(f"{site.url}/organiser/events/{site.event_slug}/groups/{site.group_slug}/")
    phone.screenshot(path=screenshot_path("organiser-roster-phone.png"), full_page=True)

    with phone.expect_download() as download_info:
        phone.get_by_role("link", name="Télécharger (Excel)").click()
    download = download_info.value

    assert download.suggested_filename == f"{site.event_slug}-{site.group_slug}.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    rows = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    assert rows[0][:2] == ["Nom", "Prénom"]
    assert sorted(row[0] for row in rows[1:]) == ["Benali", "Claes", "Dupont", "Kovalenko"]
    dupont = next(row for row in rows if row[0] == "Dupont")
    assert dupont[4] == "'=1+1"


def test_attendance_sheet_prints_on_paper(browser: Browser, site: Site):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-BE")
    page = context.new_page()
    log_in(page, site)
    page.goto(f"{site.url}/organiser/events/{site.event_slug}/dates/{site.date_id}/sheet")
    expect(page.get_by_role("heading", name="Feuille de présence")).to_be_visible()

    page.emulate_media(media="print")
    page.screenshot(path=screenshot_path("organiser-sheet-print.png"), full_page=True)
    pdf = page.pdf(format="A4", path=str(screenshot_path("organiser-sheet.pdf")))

    assert pdf.startswith(b"%PDF")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
    table = page.locator("table.signatures")
    for name in ("Benali", "Claes", "Kovalenko", "Dupont", "CPAS de Namur", "Signature"):
        expect(table).to_contain_text(name)
    expect(page.locator(".facts")).to_contain_text("DICS")
    expect(page.locator(".facts")).to_contain_text("Réseau Egalité")
    context.close()


def test_the_report_and_the_drop_in_head_counts_on_a_phone(phone: Page, site: Site):
    engine = create_db_engine(site.engine_url)
    with Session(engine) as session:
        drop_in = Factory(session).event(
            slug="permanence-juridique",
            title={"fr": "Permanence juridique"},
            kind=EventKind.DROP_IN,
            attendance_rule=AttendanceRule.NO_REGISTRATION,
            registration_opens_at=None,
        )
        Factory(session).group(drop_in, slug="jambes", dates=held_days_ago(7, 14))
        organiser = session.scalars(select(Organiser).where(Organiser.email == EMAIL)).one()
        organiser.events.append(drop_in)
        session.commit()
    engine.dispose()
    today = utcnow().date()
    log_in(phone, site)

    phone.goto(f"{site.url}/organiser/reports?from={today - timedelta(days=30)}&to={today}")
    expect(phone.get_by_role("heading", name="Rapport de participation")).to_be_visible()
    chart = phone.get_by_role("img", name="Genre : Femme 0")
    table = phone.locator("#h-gender ~ .side-by-side table")
    chart_box, table_box = chart.bounding_box(), table.bounding_box()
    check_page(phone, "organiser-report")
    phone.goto(f"{site.url}/organiser/events/permanence-juridique/")
    phone.get_by_role("link", name="Personnes venues aux permanences").click()
    phone.locator('input[name="people"]').first.fill("14")
    phone.get_by_role("button", name="Enregistrer").first.tap()

    assert table_box["y"] >= chart_box["y"] + chart_box["height"]  # under the chart
    expect(phone.get_by_text("Nombre de personnes enregistré.")).to_be_visible()
    expect(phone.locator('input[name="people"]').first).to_have_value("14")
    check_page(phone, "organiser-headcounts")
