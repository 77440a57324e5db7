"""The organiser area in headless Chromium against gunicorn: logging in, marking presence on
a phone, downloading the roster as XLSX, printing the attendance sheet."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import create_db_engine
from shared.models import Attendance
from tests.browser.conftest import screenshot_path
from tests.organiser.conftest import held_days_ago, registered_before
from tests.support.factories import Factory
from tests.support.servers import RedisServer, service_environment, serving

pytestmark = pytest.mark.browser

EMAIL = "coordination@example.org"
PASSWORD = "un mot de passe solide"
TITLE = "Pratiquer l’action et l’évaluation expérimentalistes"


@dataclass
class Site:
    """The running registration service and what it holds."""

    url: str
    event_slug: str
    group_slug: str
    date_id: int
    participants: dict[str, int]
    engine_url: str


@pytest.fixture
def site(committed_database: str, redis_server: RedisServer, tmp_path: Path) -> Iterator[Site]:
    """A workshop group of four, an organiser created with the CLI, gunicorn serving them."""
    engine = create_db_engine(committed_database)
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session)
        event = make.event(
            slug="atelier-experimentaliste",
            title={"fr": TITLE, "en": "Experimentalist workshop", "uk": "Семінар"},
            organiser_contact="Réseau Egalité — reseau@example.org — 081/77 51 91",
            registration_opens_at=None,
        )
        # Held yesterday and a week before: presence is recorded on the day or after it.
        group = make.group(
            event,
            slug="namur-luxembourg",
            name="Namur et Luxembourg",
            venue_name="DICS",
            town="Jambes",
            capacity=20,
            dates=held_days_ago(8, 1),
        )
        people = {
            last: registered_before(
                make, group, first_name=first, last_name=last, organisation=organisation
            ).id
            for first, last, organisation in (
                ("Amina", "Benali", "CPAS de Namur"),
                ("Jan", "Claes", "Lire et Écrire"),
                ("Olena", "Kovalenko", "ASBL Nova"),
                ("Marc", "Dupont", "=1+1"),
            )
        }
        date_id = group.dates[0].id
    engine.dispose()
    env = {
        "DATABASE_URL": committed_database,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": "browser-test-secret",
    }
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "services.registration",
            "create-organiser",
            EMAIL,
            "--event",
            "atelier-experimentaliste",
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=service_environment(**env),
        check=True,
        timeout=60,
    )
    assert len(created.stdout.strip().splitlines()[-1]) >= 32  # the personal API token
    with serving("services.registration", env, tmp_path / "gunicorn.log") as base_url:
        yield Site(
            base_url,
            "atelier-experimentaliste",
            "namur-luxembourg",
            date_id,
            people,
            committed_database,
        )


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
