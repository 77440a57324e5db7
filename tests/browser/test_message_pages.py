"""Writing to participants from a phone, in headless Chromium against gunicorn: the compose
form, its preview, the message's follow-up and the event's delivery log, each without a
serious accessibility violation and without sideways scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import EMAIL, PASSWORD, TITLE, Site, check_page

pytestmark = pytest.mark.browser


def test_an_organiser_previews_then_sends_a_message_and_follows_it(phone: Page, site: Site):
    phone.goto(f"{site.url}/organiser/login")
    phone.get_by_label("Adresse e-mail").fill(EMAIL)
    phone.get_by_label("Mot de passe").fill(PASSWORD)
    phone.get_by_role("button", name="Se connecter").click()
    phone.get_by_role("link", name=TITLE).click()
    phone.get_by_role("link", name="Messages aux participants").click()
    expect(phone.get_by_role("heading", name="Messages aux participants")).to_be_visible()
    check_page(phone, "messages")

    phone.get_by_role("link", name="Écrire un message").click()
    phone.locator('input[name="subject_fr"]').fill("Salle changée : {group}")
    phone.locator('textarea[name="body_fr"]').fill(
        "Bonjour {first_name},\n\nNous serons au 2e étage.\n\nVotre inscription : {manage_link}"
    )
    check_page(phone, "message-compose")
    phone.get_by_role("button", name="Aperçu").click()

    expect(phone.get_by_text("Destinataires : 4")).to_be_visible()
    expect(phone.get_by_text("Salle changée : Namur et Luxembourg")).to_be_visible()
    expect(phone.locator("article.example")).to_contain_text("Bonjour Amina,")
    check_page(phone, "message-preview")

    phone.get_by_role("button", name="Envoyer ou programmer").click()

    expect(phone.get_by_role("heading", name="Salle changée : {group}")).to_be_visible()
    expect(phone.get_by_text("En cours d'envoi : 0 sur 4")).to_be_visible()
    check_page(phone, "message-follow-up")
    phone.get_by_role("link", name="Messages aux participants").click()
    phone.get_by_role("link", name="Tous les e-mails envoyés").click()
    expect(phone.get_by_role("heading", name="Tous les e-mails envoyés")).to_be_visible()
    check_page(phone, "deliveries")
