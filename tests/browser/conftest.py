"""Browser tests: the registration service under gunicorn on a committed database, driven by
Debian's headless Chromium through Playwright, checked with axe-core."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session

from services.registration import demo
from shared.database import create_db_engine, utcnow
from tests.conftest import tests_output_dir
from tests.organiser.conftest import held_days_ago, registered_before
from tests.support.factories import Factory
from tests.support.servers import RedisServer, service_environment, serving

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NARROWEST = {"width": 320, "height": 720}
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
CALENDAR_BASE_URL = "http://calendar.test"
SECRET_KEY = "browser-test-secret"
BLOCKING_IMPACTS = {"serious", "critical"}
_axe = Axe()
# The elements that reach past the right edge of a screen ``width`` wide, if the page scrolls
# sideways. Not ``innerWidth``: on a phone, Chromium widens the layout to fit what sticks out.
SIDEWAYS_OVERFLOW = """
(width) => document.documentElement.scrollWidth <= width ? [] :
  [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > width)
    .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`)
    .concat([`scrollWidth ${document.documentElement.scrollWidth}px`])
"""


@pytest.fixture(scope="module")
def registration_server(
    database_url: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The registration service under gunicorn; its base address."""
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": SECRET_KEY,
        "CALENDAR_BASE_URL": CALENDAR_BASE_URL,
    }
    log = tmp_path_factory.mktemp("gunicorn") / "registration.log"
    with serving("services.registration", env, log, workers=1) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page the size of a phone, touch enabled, in French."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="fr-BE"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator:
    """Open pages in fresh contexts (no cookies) speaking ``locale``, at phone width, with or
    without JavaScript."""
    contexts = []

    def open_page(locale: str = "fr-BE", *, javascript: bool = True) -> Page:
        context = browser.new_context(viewport=PHONE, locale=locale, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    """A page in a French-speaking browser."""
    return new_page()


@pytest.fixture
def database(committed_database: str) -> Iterator[Session]:
    """A session on the servers' database; close it (end its transaction) before browsing,
    since SQLite lets one writer at a time."""
    engine = create_db_engine(committed_database)
    session = Session(engine, expire_on_commit=False)
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def demo_events(database: Session) -> Session:
    """The seed's workshop, office hours and information session, in the coming weeks."""
    demo.load_events(database, today=utcnow().date())
    database.commit()
    database.close()
    return database


@pytest.fixture
def make(database: Session) -> Factory:
    """Factories writing to the servers' database."""
    return Factory(database)


def screenshot_path(name: str) -> Path:
    """Where a screenshot goes for people to look at: test-output/screenshots/."""
    folder = tests_output_dir() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder / name


def check_page(page: Page, screenshot: str | None = None) -> None:
    """No serious or critical axe violation at phone and desktop width, no horizontal scroll
    at 320 px; with ``screenshot``, save the page at both widths."""
    # Measured once the stylesheets apply: a page still loading them lays out unstyled.
    page.wait_for_load_state("load")
    resize(page, NARROWEST)
    sticking_out = page.evaluate(SIDEWAYS_OVERFLOW, NARROWEST["width"])
    assert sticking_out == [], f"{page.url} scrolls sideways at 320 px: {sticking_out}"
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        resize(page, viewport)
        violations = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in _axe.run(page).response["violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]
        assert violations == [], f"{page.url} at {viewport['width']} px: {violations}"
        if screenshot:
            page.screenshot(path=screenshot_path(f"{screenshot}-{name}.png"), full_page=True)
    resize(page, PHONE)


def resize(page: Page, viewport: dict[str, int]) -> None:
    """Give ``page`` the screen ``viewport``, once the page itself sees the new width."""
    page.set_viewport_size(viewport)
    # On a busy machine the page may still be laid out for the former width for a moment;
    # on a phone's screen, what it shows at scale 1 is the screen's width.
    page.wait_for_function(
        "w => Math.round(visualViewport.width * visualViewport.scale) === w", arg=viewport["width"]
    )


# The organiser area's site: one workshop group, an organiser created with the CLI.
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
