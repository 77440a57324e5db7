"""The emails of organiser accounts over real processes: an invitation and a password reset
made through the registration service reach a real SMTP server (aiosmtpd) through Redis and
a Celery worker, and the link each carries works once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.accounts.auth import hash_password, issue_token
from shared.models import DeliveryStatus, Organiser
from tests.notifications.conftest import BASE_URL, messages_in
from tests.support.factories import Factory
from tests.support.mail import eventually

pytestmark = pytest.mark.slow
# The registration service's tests sign with this key: the worker must derive the same links.
SECRET_KEY = "test-secret"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEW_PASSWORD = "the chosen passphrase"


def link_in(text: str, path: str) -> str:
    """The one link of the email that leads to ``path``."""
    [link] = set(re.findall(rf"{re.escape(BASE_URL)}{re.escape(path)}[^\s\"<]+", text))
    return link


def submit(client, link: str, **data: str):
    """Open the link's page and send its form with the page's CSRF token."""
    target = urlsplit(link)
    page = client.get(f"{target.path}?{target.query}")
    assert page.status_code == 200, page.text
    return client.post(target.path, data={**data, "csrf_token": CSRF.search(page.text)[1]})


def test_an_invitation_reaches_the_invitee_and_its_link_opens_an_account_once(
    registration_app: Flask, committed: Session, start_worker, smtp
):
    event = Factory(committed).event(title={"fr": "Atelier des partenaires"})
    inviter = Organiser(email="lead@example.org", name="Léa", password_hash="-", events=[event])
    committed.add(inviter)
    _api_token, token = issue_token(committed, inviter)
    committed.commit()
    start_worker(SECRET_KEY=SECRET_KEY)
    client = registration_app.test_client()

    invited = client.post(
        "/api/v1/organiser/invitations",
        json={"email": "partner@example.org", "events": [event.slug], "language": "fr"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert invited.status_code == 201, invited.json
    [email] = smtp.mailbox.wait_for(1)
    assert email["To"] == "partner@example.org"
    assert email["Subject"] == "Invitation à organiser sur Atelier"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Léa vous invite à rejoindre l'équipe organisatrice" in text
    assert "Atelier des partenaires" in text
    link = link_in(text, "/organiser/invitations/")
    assert f'href="{link}"' in html
    assert link.endswith("?lang=fr")
    opened = submit(
        registration_app.test_client(),
        link,
        name="Partenaire",
        password=NEW_PASSWORD,
        password_confirmation=NEW_PASSWORD,
    )
    assert opened.status_code == 303 and opened.headers["Location"] == "/organiser/"
    committed.expire_all()
    account = committed.scalars(
        select(Organiser).where(Organiser.email == "partner@example.org")
    ).one()
    assert [e.slug for e in account.events] == [event.slug]
    committed.commit()
    assert registration_app.test_client().get(urlsplit(link).path).status_code == 410
    [row] = eventually(lambda: messages_in(committed, status=DeliveryStatus.SENT), what="sent")
    assert row.kind == "organiser_invitation" and row.recipient == "partner@example.org"


def test_a_password_reset_email_carries_a_link_that_works_once(
    registration_app: Flask, committed: Session, start_worker, smtp
):
    account = Organiser(email="forgetful@example.org", password_hash=hash_password("old pass 1"))
    committed.add(account)
    committed.commit()
    start_worker(SECRET_KEY=SECRET_KEY)
    client = registration_app.test_client()

    for address in ("nobody@example.org", "Forgetful@Example.org"):
        asked = submit(client, f"{BASE_URL}/organiser/password/forgotten?lang=fr", email=address)
        assert asked.status_code == 200
        assert "Si un compte existe pour cette adresse" in asked.text

    [email] = smtp.mailbox.wait_for(1)
    assert email["To"] == "forgetful@example.org"
    assert email["Subject"] == "Réinitialiser votre mot de passe Atelier"
    text = email.get_body(("plain",)).get_content()
    assert "valable 1\xa0heure" in text, "worded from RESET_VALIDITY"
    link = link_in(text, "/organiser/password/reset/")
    changed = submit(
        registration_app.test_client(),
        link,
        password=NEW_PASSWORD,
        password_confirmation=NEW_PASSWORD,
    )
    assert changed.status_code == 303
    login = registration_app.test_client()
    page = login.get("/organiser/login")
    logged_in = login.post(
        "/organiser/login",
        data={
            "email": "forgetful@example.org",
            "password": NEW_PASSWORD,
            "csrf_token": CSRF.search(page.text)[1],
        },
    )
    assert logged_in.status_code == 303
    again = registration_app.test_client().get(urlsplit(link).path)
    assert again.status_code == 410 and "Ce lien a déjà servi" in again.text
    assert len(smtp.mailbox.messages) == 1  # nothing was sent for the unknown address
