"""The scheduling pages in headless Chromium on a phone: the planning, venues with a room,
trainers, a group's recurring dates previewed; each passes axe and fits the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import EMAIL, PASSWORD, Site, check_page

pytestmark = pytest.mark.browser


def test_an_organiser_records_a_venue_and_a_trainer_and_reads_the_planning_on_a_phone(
    phone: Page, site: Site
):
    phone.goto(f"{site.url}/organiser/login")
    phone.get_by_label("Adresse e-mail").fill(EMAIL)
    phone.get_by_label("Mot de passe").fill(PASSWORD)
    phone.get_by_role("button", name="Se connecter").click()

    phone.goto(f"{site.url}/organiser/planning?view=month")
    expect(phone.get_by_role("heading", name="Planning", exact=True)).to_be_visible()
    check_page(phone, "planning")

    phone.goto(f"{site.url}/organiser/venues")
    phone.get_by_label("Nom du lieu").fill("HELMo ESAS")
    phone.get_by_label("Rue et numéro").fill("rue d'Harscamp 60")
    phone.get_by_label("Code postal").fill("4020")
    phone.get_by_label("Ville").fill("Liège")
    phone.get_by_role("button", name="Enregistrer").click()
    expect(phone.get_by_text("Lieu ajouté.")).to_be_visible()
    check_page(phone, "venues")
    phone.get_by_role("link", name="HELMo ESAS").click()
    phone.get_by_label("Nom de la salle").fill("Auditoire 1")
    phone.get_by_role("button", name="Ajouter la salle").click()
    expect(phone.get_by_text("Salle ajoutée.")).to_be_visible()
    check_page(phone, "venue")

    phone.goto(f"{site.url}/organiser/trainers")
    phone.locator("input[name=name]").fill("Nadia Haddad")
    phone.get_by_label("Adresse e-mail").fill("nadia@example.org")
    phone.get_by_role("button", name="Enregistrer").click()
    expect(phone.get_by_text("Formateur ajouté.")).to_be_visible()
    phone.get_by_role("link", name="Nadia Haddad").click()
    check_page(phone, "trainer")

    phone.goto(f"{site.url}/organiser/events/{site.event_slug}/groups/{site.group_slug}/edit")
    phone.get_by_label("mercredi").check()
    phone.get_by_label("À partir du").fill("2030-04-17")
    phone.get_by_label("Jusqu'au").fill("2030-05-15")
    phone.locator("input[name=start_time]").fill("09:30")
    phone.locator("input[name=end_time]").fill("12:00")
    phone.get_by_role("button", name="Aperçu").click()
    expect(phone.get_by_text("Fête du Travail")).to_be_visible()
    check_page(phone, "series-preview")
