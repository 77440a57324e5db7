"""Check-in at the door in headless Chromium, its camera fed a video of check-in codes: one
presence recorded online, two more scanned offline and sent when the network returns, a
second door scanning the same people offline, and every person stored once."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.database import create_db_engine
from shared.models import Attendance, AuditEntry, Registration
from shared.qr import png
from shared.tokens import registration_token
from tests.browser.conftest import CHROMIUM, EMAIL, LAUNCH_ARGS, PASSWORD, Site, check_page

pytestmark = pytest.mark.browser

SECRET = "browser-test-secret"  # the site's, from which codes are derived
WIDTH, HEIGHT = 640, 480
FPS = 10
FRAMES_PER_CODE = 12


def write_y4m(path: Path, codes: list[str]) -> Path:
    """A looping video showing each code's QR code in turn, with a blank frame between,
    as raw YUV 4:2:0 frames (the fake camera's format)."""
    frames = []
    for code in codes:
        image = Image.open(io.BytesIO(png(code, scale=8))).convert("L")
        side = min(HEIGHT - 40, image.width)
        image = image.resize((side, side), Image.NEAREST)
        canvas = Image.new("L", (WIDTH, HEIGHT), 255)
        canvas.paste(image, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
        frames += [canvas.tobytes()] * FRAMES_PER_CODE
        frames += [Image.new("L", (WIDTH, HEIGHT), 255).tobytes()] * 2
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2 * 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for luma in frames:
            out.write(b"FRAME\n" + luma + chroma)
    return path


@contextmanager
def door(browser: Browser, video: Path) -> Iterator[BrowserContext]:
    """A phone at the door: another Chromium, whose camera films ``video``."""
    phone = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *LAUNCH_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    context = phone.new_context(viewport={"width": 390, "height": 844}, locale="fr-BE")
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()
        phone.close()


def open_checkin(context: BrowserContext, site: Site) -> Page:
    """Log in and open the check-in page of the site's date, its codes downloaded."""
    page = context.new_page()
    page.goto(f"{site.url}/organiser/login")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    group_page = f"{site.url}/organiser/events/{site.event_slug}/groups/{site.group_slug}/"
    page.goto(group_page)
    page.get_by_role("link", name="Accueil avec les codes").first.click()
    expect(page.locator("#checkin")).to_have_attribute("data-known", "4")
    return page


def stored(site: Site) -> tuple[dict[int, bool], int]:
    """The date's marks by registration, and how many check-ins the audit log holds."""
    engine = create_db_engine(site.engine_url)
    with Session(engine) as session:
        rows = session.scalars(select(Attendance).where(Attendance.session_date_id == site.date_id))
        marks = {a.registration_id: a.present for a in rows}
        audited = session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "attendance.checked_in")
        )
    engine.dispose()
    return marks, audited


def codes_of(site: Site, *last_names: str) -> list[str]:
    engine = create_db_engine(site.engine_url)
    with Session(engine) as session:
        versions = {r.id: r.checkin_code_version for r in session.scalars(select(Registration))}
    engine.dispose()
    return [
        registration_token(
            SECRET, "checkin", site.participants[name], versions[site.participants[name]]
        )
        for name in last_names
    ]


def test_two_doors_scan_offline_and_each_person_is_stored_once(
    browser: Browser,
    site: Site,
    tmp_path: Path,
):
    amina, jan, olena = (site.participants[n] for n in ("Benali", "Claes", "Kovalenko"))
    video = write_y4m(tmp_path / "codes.y4m", codes_of(site, "Claes", "Kovalenko"))

    with door(browser, video) as first, door(browser, video) as second:
        page = open_checkin(first, site)
        check_page(page, "checkin")
        # Online: Amina came without her code, found by her first name.
        page.get_by_label("Chercher un prénom").fill("ami")
        page.get_by_role("button", name="Noter présent·e : Amina").click()
        expect(page.locator("#checkin-pending")).to_have_text("0 marque en attente d'envoi")
        assert stored(site) == ({amina: True}, 1)

        other = open_checkin(second, site)
        for context, door_page in ((first, page), (second, other)):
            context.set_offline(True)
            door_page.get_by_role("button", name="Scanner un code").click()
            expect(door_page.locator("#checkin-pending")).to_have_text(
                "2 marques en attente d'envoi"
            )
        assert stored(site) == ({amina: True}, 1)

        first.set_offline(False)
        expect(page.locator("#checkin-pending")).to_have_text("0 marque en attente d'envoi")
        assert stored(site) == ({amina: True, jan: True, olena: True}, 3)

        second.set_offline(False)
        expect(other.locator("#checkin-pending")).to_have_text("0 marque en attente d'envoi")
        expect(other.locator("#checkin-answer")).to_contain_text("Déjà noté·e")
        assert stored(site) == ({amina: True, jan: True, olena: True}, 3)

        # Logging out deletes the date's codes and queue from the phone.
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page).to_have_url(re.compile("/organiser/login"))
        assert page.evaluate("Object.keys(localStorage).length") == 0
