"""An organiser account made without a terminal, in headless Chromium on a phone against
gunicorn, a real Celery worker and a real SMTP server: an administrator invites a partner by
email, the partner opens the link, chooses a password, lands in the organiser area, turns on
two-factor sign-in, logs out and logs in again with a TOTP code. Every page passes axe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from services.registration.accounts.auth import hash_password
from shared.database import create_db_engine, utcnow
from shared.models import Organiser
from tests.browser.conftest import SECRET_KEY, check_page
from tests.support.factories import Factory
from tests.support.mail import CeleryWorker, SmtpServer
from tests.support.servers import RedisServer, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN_EMAIL = "coordination@example.org"
ADMIN_PASSWORD = "le mot de passe de la coordination"
PARTNER_EMAIL = "partenaire@example.org"
PARTNER_PASSWORD = "un mot de passe de partenaire"
TITLE = "Atelier des associations partenaires"


@dataclass
class Stack:
    """The registration service, its worker and the SMTP server the worker sends to."""

    url: str
    smtp: SmtpServer


@pytest.fixture
def stack(committed_database: str, redis_server: RedisServer, tmp_path: Path) -> Iterator[Stack]:
    """An event, its administrator, gunicorn serving them, and a worker sending to aiosmtpd."""
    engine = create_db_engine(committed_database)
    with Session(engine, expire_on_commit=False) as session:
        event = Factory(session).event(slug="atelier-partenaires", title={"fr": TITLE})
        session.add(
            Organiser(
                email=ADMIN_EMAIL,
                name="Coordination",
                password_hash=hash_password(ADMIN_PASSWORD),
                is_admin=True,
                events=[event],
            )
        )
        session.commit()
    engine.dispose()
    env = {
        "DATABASE_URL": committed_database,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": SECRET_KEY,
    }
    smtp = SmtpServer().start()
    with serving("services.registration", env, tmp_path / "gunicorn.log", workers=1) as url:
        worker = CeleryWorker(
            tmp_path / "worker",
            {
                **env,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(smtp.port),
                "REGISTRATION_BASE_URL": url,
            },
            beat=False,
        ).start()
        try:
            yield Stack(url, smtp)
        finally:
            worker.stop()
            smtp.stop()


@pytest.fixture
def phones(browser: Browser) -> Iterator:
    """Open pages, each in its own phone-sized touch browser (no shared cookies)."""
    contexts = []

    def open_phone() -> Page:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="fr-BE",
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def fits_the_screen(page: Page) -> bool:
    """No sideways scrolling on the phone (wide tables scroll in their own box). A mobile
    browser widens its window to the content, so the page is measured, not the window."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def checked(page: Page, screenshot: str) -> None:
    """axe finds nothing serious, nothing scrolls sideways, on the phone too."""
    check_page(page, screenshot)
    assert fits_the_screen(page), f"{page.url} scrolls sideways on the phone"


def log_in(page: Page, url: str, email: str, password: str) -> None:
    """Fill in and send the login form."""
    page.goto(f"{url}/organiser/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_invitation_password_two_factor_logout_and_login_with_a_code(stack: Stack, phones):
    admin = phones()
    log_in(admin, stack.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(admin).to_have_url(f"{stack.url}/organiser/")
    admin.get_by_role("link", name="Invitations").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Invitations")
    checked(admin, "organiser-invitations")
    admin.get_by_label("Adresse e-mail").fill(PARTNER_EMAIL)
    admin.get_by_label(TITLE).check()
    admin.get_by_role("button", name="Envoyer l'invitation").click()
    expect(admin.get_by_text(f"Invitation envoyée à {PARTNER_EMAIL}.")).to_be_visible()

    [email] = stack.smtp.mailbox.wait_for(1)
    assert email["To"] == PARTNER_EMAIL
    text = email.get_body(("plain",)).get_content()
    [link] = re.findall(rf"{re.escape(stack.url)}/organiser/invitations/\S+", text)

    partner = phones()
    partner.goto(link)
    expect(partner.get_by_role("heading", name="Rejoindre l'équipe organisatrice")).to_be_visible()
    checked(partner, "organiser-invitation")
    partner.get_by_label("Votre nom").fill("Partenaire")
    partner.get_by_label("Nouveau mot de passe").fill(PARTNER_PASSWORD)
    partner.get_by_label("Le même, à nouveau").fill(PARTNER_PASSWORD)
    partner.get_by_role("button", name="Ouvrir mon compte").tap()
    expect(partner).to_have_url(f"{stack.url}/organiser/")
    expect(partner.get_by_role("link", name=TITLE)).to_be_visible()

    partner.get_by_role("link", name="Mon compte").tap()
    expect(partner.get_by_role("heading", level=1)).to_have_text("Mon compte")
    checked(partner, "organiser-account")
    partner.get_by_role("link", name="Activer la validation en deux étapes").tap()
    expect(partner.get_by_role("img", name="Code QR")).to_be_visible()
    checked(partner, "organiser-two-factor")
    secret = partner.locator("code.secret").inner_text().replace(" ", "")
    authenticator = pyotp.TOTP(secret)
    partner.get_by_label("Code à 6 chiffres").fill(authenticator.now())
    partner.get_by_role("button", name="Activer").tap()
    expect(partner.get_by_role("heading", name="Codes de secours")).to_be_visible()
    assert partner.locator("ul.codes li").count() == 10
    recovery_code = partner.locator("ul.codes li").first.inner_text()
    checked(partner, "organiser-recovery-codes")
    partner.get_by_role("button", name="Se déconnecter").tap()
    expect(partner).to_have_url(f"{stack.url}/organiser/login")

    log_in(partner, stack.url, PARTNER_EMAIL, PARTNER_PASSWORD)
    expect(partner).to_have_url(re.compile(r"/organiser/login/code"))
    checked(partner, "organiser-login-code")
    partner.get_by_label("Code de l'application").fill("000000")
    partner.get_by_role("button", name="Valider").tap()
    expect(partner.get_by_role("alert")).to_contain_text("Ce code n'est pas valide")
    # The code of the next time step: the one of this step was spent on the enrolment.
    partner.get_by_label("Code de l'application").fill(
        authenticator.generate_otp(authenticator.timecode(utcnow()) + 1)
    )
    partner.get_by_role("button", name="Valider").tap()
    expect(partner).to_have_url(f"{stack.url}/organiser/")
    expect(partner.get_by_role("link", name=TITLE)).to_be_visible()

    # A token asks for the password and, with two-factor sign-in on, a code (here a recovery
    # code: this minute's TOTP steps are spent); its chosen lifetime is listed.
    partner.get_by_role("link", name="Mon compte").tap()
    partner.get_by_label("Nom du nouveau jeton").fill("Tableur")
    partner.get_by_label("Durée de validité").select_option("30")
    partner.get_by_label("Votre mot de passe", exact=True).fill(PARTNER_PASSWORD)
    partner.get_by_label("Code de votre application d'authentification").fill(recovery_code)
    partner.get_by_role("button", name="Créer un jeton").tap()
    expect(partner.get_by_text("Jeton « Tableur » créé.")).to_be_visible()
    assert len(partner.locator("code.secret").inner_text()) >= 32
    partner.get_by_role("link", name="Retour à mon compte").tap()
    expect(partner.get_by_role("columnheader", name="Expire le")).to_be_visible()
    checked(partner, "organiser-account-tokens")

    # The administrator sees the partner in the event's team and among the accounts.
    admin.goto(f"{stack.url}/organiser/events/atelier-partenaires/")
    expect(admin.get_by_text(PARTNER_EMAIL)).to_be_visible()
    checked(admin, "organiser-event-team")
    admin.get_by_role("link", name="Comptes").click()
    expect(admin.get_by_role("cell", name=PARTNER_EMAIL)).to_be_visible()
    checked(admin, "organiser-accounts")
    # The invitation's link served once; a forgotten password starts from the login page.
    stranger = phones()
    stranger.goto(link)
    expect(stranger.get_by_role("heading", name="Ce lien ne fonctionne plus")).to_be_visible()
    checked(stranger, "organiser-link-used")
    stranger.get_by_role("link", name="Mot de passe oublié ?").click()
    stranger.get_by_label("Adresse e-mail").fill(PARTNER_EMAIL)
    stranger.get_by_role("button", name="Envoyer le lien").tap()
    expect(stranger.get_by_role("status")).to_contain_text("Si un compte existe")
    checked(stranger, "organiser-password-forgotten")
