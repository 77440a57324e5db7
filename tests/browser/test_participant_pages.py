"""A participant registers, waits, cancels and switches language in a real browser; every
page passes axe-core at phone and desktop width."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import utcnow
from shared.domain.closing import close_group
from shared.domain.evaluations import evaluation_link_token, invitation_of
from shared.i18n import init_i18n
from shared.models import (
    Attendance,
    Certificate,
    EvaluationAnswer,
    Group,
    Registration,
    RegistrationStatus,
)
from tests.browser.conftest import SECRET_KEY, check_page
from tests.support.factories import local
from tests.support.links import manage_token

pytestmark = pytest.mark.browser

WORKSHOP = "/events/pratiquer-action-evaluation-experimentalistes"


def fill_registration(page: Page, *, email: str, commit: bool = True) -> None:
    """Fill the registration form as a person would."""
    form = page.locator("#inscription form")
    form.locator("#f-first_name").fill("Olena")
    form.locator("#f-last_name").fill("Kovalenko")
    form.locator("#f-email").fill(email)
    form.locator("#f-organisation").fill("CPAS de Namur")
    form.locator("#f-role-field_worker").check()
    if commit:
        form.locator("#f-commit_all_dates").check()
    form.locator("#f-consent").check()


def stored(database: Session, email: str) -> Any:
    """What the database holds for the registration of ``email``."""
    row = database.execute(
        select(
            Registration.status,
            Registration.language,
            Registration.id,
            Registration.manage_token_version,
            Group.slug.label("group"),
        )
        .join(Group)
        .where(Registration.email == email)
    ).one_or_none()
    database.close()
    return row


def test_registration_through_the_french_form(
    registration_server, demo_events, database, page: Page
):
    page.goto(registration_server)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    check_page(page, screenshot="home")

    page.get_by_role("link", name=re.compile("Détails et inscription : Pratiquer")).click()
    page.get_by_role("link", name="Choisir ce groupe : Namur et Luxembourg").click()
    expect(page.locator("label[for=f-commit_all_dates]")).to_have_text(
        re.compile(r"^Je serai présent·e à chacune de ces dates : mardi .+ et mardi .+$")
    )
    check_page(page, screenshot="event")

    fill_registration(page, email="olena.fr@example.org")
    page.get_by_role("button", name="M'inscrire").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merci, votre inscription est confirmée"
    )
    expect(page.get_by_role("link", name="Ajouter à mon agenda")).to_have_attribute(
        "href", re.compile(r"^http://calendar\.test/sessions/\d+\.ics$")
    )
    check_page(page, screenshot="confirmation")
    registration = stored(database, "olena.fr@example.org")
    assert registration.status is RegistrationStatus.CONFIRMED
    assert (registration.group, registration.language) == ("namur-luxembourg", "fr")

    page.get_by_role("link", name="Gérer mon inscription").click()
    expect(page).to_have_url(re.compile(f"/manage/{manage_token(registration, SECRET_KEY)}$"))
    expect(page.get_by_text("Votre place est confirmée.")).to_be_visible()
    check_page(page, screenshot="manage")


def test_registration_through_the_ukrainian_form(
    registration_server, demo_events, database, new_page
):
    page = new_page(locale="uk-UA")
    page.goto(f"{registration_server}{WORKSHOP}?group=liege")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("label[for=f-commit_all_dates]")).to_contain_text("вівторок")

    fill_registration(page, email="olena.uk@example.org")
    page.get_by_role("button", name="Зареєструватися").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Дякуємо, вашу реєстрацію підтверджено"
    )
    expect(page.get_by_text("Ваше місце підтверджено.")).to_be_visible()
    check_page(page)
    registration = stored(database, "olena.uk@example.org")
    assert (registration.group, registration.language) == ("liege", "uk")


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_registering_and_cancelling_in_arabic_on_a_phone(
    registration_server, demo_events, database, new_page, javascript
):
    page = new_page(locale="ar", javascript=javascript)
    email = f"amal.{'script' if javascript else 'no-script'}@example.org"
    page.goto(f"{registration_server}{WORKSHOP}?group=liege")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    if javascript:  # axe-core runs as a script: it checks the pages where scripts run
        check_page(page, screenshot="ar-event")

    fill_registration(page, email=email)
    page.get_by_role("button", name="التسجيل").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("شكرًا، تم تأكيد تسجيلك")
    if javascript:
        check_page(page, screenshot="ar-confirmation")
    page.get_by_role("link", name="إدارة تسجيلي").click()
    expect(page.get_by_text("تم تأكيد مقعدك.")).to_be_visible()
    page.get_by_role("link", name="إلغاء تسجيلي").click()
    page.get_by_role("button", name="نعم، أريد إلغاء تسجيلي").click()

    expect(page.get_by_text("هذا التسجيل ملغى.")).to_be_visible()
    if javascript:
        check_page(page, screenshot="ar-cancelled")
    registration = stored(database, email)
    assert (registration.status, registration.language) == (RegistrationStatus.CANCELLED, "ar")


def test_full_group_lands_on_the_waiting_list_with_its_position(
    registration_server, make, database, page: Page
):
    group = make.group(make.event(slug="complet"), slug="jambes", capacity=1)
    make.registration(group)
    make.registration(group)
    database.close()

    page.goto(f"{registration_server}/events/complet")
    expect(page.get_by_text("Complet : liste d'attente")).to_be_visible()
    fill_registration(page, email="waiting@example.org")
    page.get_by_role("button", name="M'inscrire").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes sur la liste d'attente")
    expect(page.get_by_text("Vous êtes sur la liste d'attente, en position 2.")).to_be_visible()
    check_page(page)
    registration = stored(database, "waiting@example.org")
    assert registration.status is RegistrationStatus.WAITLISTED


def test_missing_commitment_is_explained_beside_the_checkbox_and_values_are_kept(
    registration_server, demo_events, database, page: Page
):
    page.goto(f"{registration_server}{WORKSHOP}?group=hainaut")
    fill_registration(page, email="forgot@example.org", commit=False)
    page.get_by_role("button", name="M'inscrire").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(re.compile("Vous devez vous engager"))
    checkbox = page.locator("#f-commit_all_dates")
    expect(checkbox).to_have_attribute("aria-describedby", "commit_all_dates-error")
    expect(checkbox).to_have_attribute("aria-invalid", "true")
    beside = page.locator(".checkbox:has(#f-commit_all_dates) #commit_all_dates-error")
    expect(beside).to_contain_text("Vous devez vous engager à participer à toutes les dates")
    expect(page.locator("#f-first_name")).to_have_value("Olena")
    expect(page.locator("#f-email")).to_have_value("forgot@example.org")
    expect(page.locator("#f-role-field_worker")).to_be_checked()
    expect(page.locator("#f-consent")).to_be_checked()
    check_page(page)
    assert stored(database, "forgot@example.org") is None

    summary.get_by_role("link").click()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(checkbox).to_be_focused()


def test_cancelling_from_the_manage_page(registration_server, make, database, page: Page):
    registration = make.registration(email="leaving@example.org")
    database.close()

    page.goto(f"{registration_server}/manage/{manage_token(registration, SECRET_KEY)}")
    page.get_by_role("link", name="Annuler mon inscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler votre inscription ?")
    check_page(page)
    assert stored(database, "leaving@example.org").status is RegistrationStatus.CONFIRMED

    page.get_by_role("button", name="Oui, annuler mon inscription").click()

    expect(page).to_have_url(re.compile(f"/manage/{manage_token(registration, SECRET_KEY)}$"))
    expect(page.get_by_text("Cette inscription est annulée.")).to_be_visible()
    assert stored(database, "leaving@example.org").status is RegistrationStatus.CANCELLED


def test_once_the_training_began_the_manage_page_says_whom_to_tell_in_arabic(
    registration_server, make, database, new_page
):
    began = utcnow() - timedelta(hours=2)
    second = began + timedelta(days=7)
    group = make.group(
        make.event(registration_opens_at=None, organiser_contact="coordination@dics.example"),
        dates=[(began, began + timedelta(hours=6)), (second, second + timedelta(hours=6))],
    )
    person = make.registration(group, at=began - timedelta(days=7), language="ar")
    database.close()
    page = new_page(locale="ar", javascript=True)

    page.goto(f"{registration_server}/manage/{manage_token(person, SECRET_KEY)}")

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_text("لقد بدأ تدريبك: لم يعد بالإمكان إلغاء التسجيل")).to_be_visible()
    expect(page.get_by_text("coordination@dics.example")).to_be_visible()
    expect(page.get_by_role("link", name="إلغاء تسجيلي")).to_have_count(0)
    check_page(page, screenshot="ar-cancellation-closed")


def test_a_certificate_is_downloaded_from_the_manage_page_and_checked_by_its_code(
    registration_server, make, database, page: Page
):
    event = make.event(registration_opens_at=None, issuer="Réseau Egalité")
    group = make.group(event, dates=[(local("2026-10-06T09:30"), local("2026-10-06T16:00"))])
    person = make.registration(
        group, at=local("2026-09-01T10:00"), first_name="Олена", last_name="Коваленко"
    )
    database.add(Attendance(registration=person, session_date=group.dates[0], present=True))
    database.commit()
    database.close()

    page.goto(f"{registration_server}/manage/{manage_token(person, SECRET_KEY)}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mon attestation (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    code = database.scalar(select(Certificate.code).where(Certificate.registration_id == person.id))
    database.close()
    page.goto(f"{registration_server}/certificates/{code}")

    expect(page.get_by_role("heading", level=2)).to_have_text("Cette attestation est authentique.")
    expect(page.get_by_text("Олена Коваленко")).to_be_visible()
    check_page(page, screenshot="certificate-check")


def test_language_switcher_keeps_the_page_and_remembers_the_choice(
    registration_server, demo_events, page: Page
):
    page.goto(f"{registration_server}{WORKSHOP}?group=liege")

    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()

    expect(page).to_have_url(f"{registration_server}{WORKSHOP}?group=liege")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Register")).to_be_visible()
    page.goto(registration_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming trainings and workshops")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Українська").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Майбутні навчання та семінари")
    expect(page.get_by_role("link", name="Українська")).to_have_attribute("aria-current", "true")


def test_resending_the_manage_link_answers_neutrally(registration_server, demo_events, page: Page):
    page.goto(f"{registration_server}/manage-link")
    check_page(page)
    page.get_by_label("Événement").select_option(WORKSHOP.removeprefix("/events/"))
    page.get_by_label("Adresse e-mail").fill("nobody@example.org")
    page.get_by_role("button", name="M'envoyer le lien par e-mail").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Demande reçue")
    check_page(page)


def test_an_evaluation_is_answered_on_a_phone_without_javascript(
    registration_server, make, database, new_page
):
    event = make.event(registration_opens_at=None, title={"fr": "Atelier", "uk": "Семінар"})
    group = make.group(event, dates=[(local("2026-10-06T09:30"), local("2026-10-06T16:00"))])
    person = make.registration(group, at=local("2026-09-01T10:00"), language="uk")
    database.add(Attendance(registration=person, session_date=group.dates[0], present=True))
    database.commit()
    # The invitation's link is signed with the servers' secret key, as the worker signs it.
    signer = Flask(__name__)
    signer.config["SECRET_KEY"] = SECRET_KEY
    signer.extensions["outbox_publisher"] = lambda _ids: None  # no worker sends the emails here
    init_i18n(signer)
    with signer.app_context():
        close_group(database, group, now=utcnow())
        database.commit()
        token = evaluation_link_token(invitation_of(database, person))
        link = f"{registration_server}/evaluations/{token}"
    database.close()

    phone = new_page("uk-UA", javascript=False)
    phone.goto(f"{link}?lang=uk")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Ваша думка про «Семінар»")
    satisfaction = phone.get_by_role(
        "group", name="Загалом, наскільки ви задоволені цим навчанням?"
    )
    satisfaction.get_by_label("4", exact=True).check()
    phone.get_by_role("group", name="Чи порадили б ви це навчання іншим людям?").get_by_label(
        "Так"
    ).check()
    phone.get_by_label("Що було для вас найкориснішим?").fill("Рольові ігри")
    phone.get_by_role("button", name="Надіслати відповіді").click()

    expect(phone.get_by_text("Дякуємо! Ваші відповіді збережено.")).to_be_visible()
    # The answers given are never shown again: whoever opens the link later reads nothing.
    expect(satisfaction.get_by_label("4", exact=True)).not_to_be_checked()
    [answers] = database.scalars(select(EvaluationAnswer.answers)).all()
    database.close()
    assert sorted(answers.values(), key=str) == [4, True, "Рольові ігри"]
    with_javascript = new_page("uk-UA")
    with_javascript.goto(f"{link}?lang=uk")
    check_page(with_javascript, screenshot="evaluation")
