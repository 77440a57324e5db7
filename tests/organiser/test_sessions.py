"""Login sessions kept on the server: logging out ends a session wherever its cookie was
copied, a session ends 7 days after its login however active, and every account change that
must end sessions deletes their rows."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from shared.models import OrganiserSession
from tests.organiser.conftest import PASSWORD, csrf_token, log_in, post_form


def copy_of(app, client: FlaskClient) -> FlaskClient:
    """Another browser holding the same session cookie, as a thief would."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    return thief


def sessions_of(db_session, organiser_id: int) -> int:
    db_session.expire_all()
    return db_session.scalar(
        select(func.count(OrganiserSession.id)).where(OrganiserSession.organiser_id == organiser_id)
    )


def test_a_copied_cookie_opens_nothing_after_logout(app, client, make, accounts):
    account = accounts(make.event())
    log_in(client, account)
    thief = copy_of(app, client)
    assert thief.get("/organiser/").status_code == 200

    client.post("/organiser/logout", data={"csrf_token": csrf_token(client)})

    assert thief.get("/organiser/").status_code == 302


def test_only_a_digest_of_the_session_id_is_kept(client, db_session, make, accounts):
    account = accounts(make.event())
    log_in(client, account)

    with client.session_transaction() as cookie:
        session_id = cookie["organiser_login"]
    [digest] = db_session.scalars(select(OrganiserSession.id_digest)).all()

    assert len(session_id) >= 32 and session_id != digest


def test_a_session_ends_seven_days_after_its_login(app, client, db_session, make, accounts):
    account = accounts(make.event())
    log_in(client, account)
    [row] = db_session.scalars(select(OrganiserSession)).all()
    assert row.expires_at - row.created_at == timedelta(days=7)

    db_session.execute(
        update(OrganiserSession).values(expires_at=row.created_at - timedelta(seconds=1))
    )
    db_session.commit()

    assert client.get("/organiser/").status_code == 302


def test_a_password_change_keeps_this_session_only(app, client, db_session, make, accounts):
    account = accounts(make.event())
    for _ in range(2):
        log_in(app.test_client(), account)
    log_in(client, account)

    post_form(
        client,
        "/organiser/account/password",
        current_password=PASSWORD,
        password="a brand new passphrase",
        password_confirmation="a brand new passphrase",
    )

    assert sessions_of(db_session, account.organiser.id) == 1
    assert client.get("/organiser/").status_code == 200


def test_deactivation_and_a_second_factor_reset_delete_the_sessions(
    app, client, db_session, make, accounts
):
    deactivated, reset = accounts(make.event()), accounts(make.event())
    admin = accounts(admin=True)
    for account in (deactivated, reset):
        log_in(app.test_client(), account)
    log_in(client, admin)

    post_form(client, f"/organiser/accounts/{deactivated.organiser.id}", active="false")
    post_form(client, f"/organiser/accounts/{reset.organiser.id}/two-factor/reset")

    assert sessions_of(db_session, deactivated.organiser.id) == 0
    assert sessions_of(db_session, reset.organiser.id) == 0
    assert sessions_of(db_session, admin.organiser.id) == 1
