"""Forgotten passwords and password changes: the same answer whether an account exists, links
used once and valid one hour, requests limited per address and per account, and every other
session of the account ended."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from shared.database import utcnow
from shared.domain.accounts import RESET_PURPOSE, RESET_VALIDITY, account_link_token
from shared.models import EmailKind, OutboxMessage, PasswordReset
from tests.organiser.conftest import PASSWORD, changes_recorded, csrf_token, log_in, post_form

NEW_PASSWORD = "another long passphrase"


def reset_link(app: Flask, reset: PasswordReset) -> str:
    """The path the reset email carries, derived as the worker derives it."""
    with app.app_context():
        return f"/organiser/password/reset/{account_link_token(RESET_PURPOSE, reset.nonce)}"


def resets(db_session) -> list[PasswordReset]:
    db_session.expire_all()
    return list(db_session.scalars(select(PasswordReset).order_by(PasswordReset.id)))


def ask_for_reset(client, email: str):
    return post_form(client, "/organiser/password/forgotten", email=email)


def choose(client, link: str, password: str = NEW_PASSWORD):
    return post_form(client, link, password=password, password_confirmation=password)


def test_the_answer_is_the_same_whether_the_address_has_an_account_or_not(
    client, db_session, make, accounts
):
    account = accounts(make.event())
    assert "Mot de passe oublié ?" in client.get("/organiser/login").text

    known = ask_for_reset(client, account.organiser.email.upper())
    unknown = ask_for_reset(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text.replace(csrf_token(client), csrf_token(client))
    assert "Si un compte existe pour cette adresse" in known.text
    [reset] = resets(db_session)
    assert reset.organiser_id == account.organiser.id
    assert reset.expires_at - reset.created_at == RESET_VALIDITY
    kinds = db_session.scalars(select(OutboxMessage.kind)).all()
    assert kinds == [EmailKind.PASSWORD_RESET.value]


def test_a_reset_link_sets_the_password_once_and_ends_every_session(
    app, client, db_session, make, accounts
):
    account = accounts(make.event())
    elsewhere = app.test_client()
    log_in(elsewhere, account)
    assert elsewhere.get("/organiser/").status_code == 200
    ask_for_reset(client, account.organiser.email)
    link = reset_link(app, resets(db_session)[0])

    page = client.get(link)
    done = choose(client, link)

    assert page.status_code == 200 and account.organiser.email in page.text
    assert done.status_code == 303 and done.headers["Location"] == "/organiser/login"
    assert "Votre mot de passe est changé" in client.get("/organiser/login").text
    assert elsewhere.get("/organiser/").status_code == 302  # the other session is over
    assert log_in(app.test_client(), account).status_code == 401
    assert log_in(app.test_client(), account, password=NEW_PASSWORD).status_code == 303
    again = choose(app.test_client(), link, "yet another passphrase")
    assert again.status_code == 410 and "Ce lien a déjà servi" in again.text
    assert app.test_client().get(link).status_code == 410
    assert changes_recorded(db_session) == ["password.reset_requested", "password.reset"]


def test_an_expired_reset_link_answers_a_page(app, client, db_session, make, accounts):
    account = accounts(make.event())
    ask_for_reset(client, account.organiser.email)
    reset = resets(db_session)[0]
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()

    response = client.get(reset_link(app, reset))

    assert response.status_code == 410
    assert "Ce lien a expiré" in response.text
    assert 'href="/organiser/password/forgotten"' in response.text


def test_a_refused_new_password_keeps_the_link_usable(app, client, db_session, make, accounts):
    account = accounts(make.event())
    ask_for_reset(client, account.organiser.email)
    link = reset_link(app, resets(db_session)[0])

    short = choose(client, link, "short")
    mismatch = post_form(
        client, link, password=NEW_PASSWORD, password_confirmation=NEW_PASSWORD + "!"
    )

    assert short.status_code == 422 and "de 10 à 200 caractères" in short.text
    assert mismatch.status_code == 422 and "ne sont pas identiques" in mismatch.text
    assert choose(client, link).status_code == 303


def test_reset_requests_are_limited_per_pair_and_per_address_never_for_the_owner(
    app, db_session, make, accounts
):
    account = accounts(make.event())
    app.config["RESET_REQUESTS_BEFORE_DELAY"] = 2
    app.config["RESET_REQUESTS_PER_ADDRESS_BEFORE_DELAY"] = 3

    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    from_stranger = [ask_for_reset(stranger, account.organiser.email) for _ in range(3)]
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    from_owner = ask_for_reset(owner, account.organiser.email)
    one_address = app.test_client()
    one_address.environ_base["REMOTE_ADDR"] = "192.0.2.2"
    from_one = [ask_for_reset(one_address, f"x{n}@example.org").status_code for n in range(4)]

    assert [r.status_code for r in from_stranger] == [200, 200, 429]
    assert 0 < int(from_stranger[-1].headers["Retry-After"]) <= 30
    assert from_owner.status_code == 200  # the stranger's requests never block the owner
    assert from_one == [200, 200, 200, 429]
    assert len(resets(db_session)) == 3


def test_changing_ones_password_ends_the_other_sessions_but_not_this_one(
    app, client, db_session, make, accounts
):
    account = accounts(make.event())
    elsewhere = app.test_client()
    log_in(elsewhere, account)
    log_in(client, account)

    wrong = post_form(
        client,
        "/organiser/account/password",
        current_password="not it",
        password=NEW_PASSWORD,
        password_confirmation=NEW_PASSWORD,
    )
    changed = post_form(
        client,
        "/organiser/account/password",
        current_password=PASSWORD,
        password=NEW_PASSWORD,
        password_confirmation=NEW_PASSWORD,
    )

    assert wrong.status_code == 422 and "Mot de passe incorrect." in wrong.text
    assert changed.status_code == 303
    assert client.get("/organiser/").status_code == 200
    assert elsewhere.get("/organiser/").status_code == 302
    assert log_in(app.test_client(), account, password=NEW_PASSWORD).status_code == 303
    assert changes_recorded(db_session) == ["password.changed"]


def test_a_reset_link_dies_when_the_password_changes_another_way(
    app, client, db_session, make, accounts
):
    account = accounts(make.event())
    ask_for_reset(app.test_client(), account.organiser.email)
    link = reset_link(app, resets(db_session)[0])
    log_in(client, account)

    post_form(
        client,
        "/organiser/account/password",
        current_password=PASSWORD,
        password=NEW_PASSWORD,
        password_confirmation=NEW_PASSWORD,
    )

    assert app.test_client().get(link).status_code == 410
    assert choose(app.test_client(), link, "a stolen link's pick").status_code == 410
