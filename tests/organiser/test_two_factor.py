"""Two-factor sign-in: enrolment with a QR code and a confirmation code, recovery codes shown
once and used once, the second step at login (refused and counted when wrong), and the
requirement for administrators."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from shared.database import utcnow
from shared.models import AuditEntry, Organiser, RecoveryCode
from tests.organiser.conftest import PASSWORD, changes_recorded, csrf_token, log_in, post_form

SECRET = re.compile(r'<code dir="ltr" class="secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol through the pages, as a person with an authenticator app; the app and the
    recovery codes shown."""
    page = client.get("/organiser/account/two-factor")
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.text  # the QR code, drawn by segno
    app = pyotp.TOTP(SECRET.search(page.text)[1].replace(" ", ""))
    shown = post_form(client, "/organiser/account/two-factor", code=app.now())
    assert shown.status_code == 200, shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    return app, CODES.findall(shown.text)


def next_code(app: pyotp.TOTP) -> str:
    """The code of the next time step: one the server has not accepted yet, within the drift
    it allows."""
    return app.generate_otp(app.timecode(utcnow()) + 1)


def second_step(client, code: str):
    return client.post(
        "/organiser/login/code", data={"code": code, "csrf_token": csrf_token(client)}
    )


def test_enrolment_then_login_asks_for_the_code(app, client, db_session, make, accounts):
    account = accounts(make.event())
    log_in(client, account)

    authenticator, codes = enrol(client)

    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db_session.scalars(select(RecoveryCode.code_digest)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    browser = app.test_client()
    password_step = log_in(browser, account)
    assert password_step.status_code == 303
    assert password_step.headers["Location"].startswith("/organiser/login/code")
    assert browser.get("/organiser/").status_code == 302  # not in before the code
    assert browser.get("/organiser/login/code").status_code == 200
    assert second_step(browser, next_code(authenticator)).status_code == 303
    assert browser.get("/organiser/").status_code == 200
    assert changes_recorded(db_session) == ["two_factor.enabled"]


def test_a_wrong_second_factor_is_refused_and_counted(app, client, db_session, make, accounts):
    account = accounts(make.event())
    log_in(client, account)
    authenticator, _codes = enrol(client)
    app.config["AUTH_ATTEMPTS_BEFORE_DELAY"] = 3
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    log_in(guesser, account)

    statuses = [second_step(guesser, "000000").status_code for _ in range(4)]
    right_but_late = second_step(guesser, next_code(authenticator))
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.50"
    log_in(owner, account)
    owners = second_step(owner, next_code(authenticator))

    assert statuses == [401, 401, 401, 429]
    assert guesser.get("/organiser/").status_code == 302
    assert right_but_late.status_code == 429
    assert 0 < int(right_but_late.headers["Retry-After"]) <= 30
    assert owners.status_code == 303  # the guesses elsewhere never lock the owner out
    failures = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "two_factor.failed")
    ).all()
    assert [entry.details["account_id"] for entry in failures] == [account.organiser.id] * 3


def test_a_code_is_accepted_once_and_a_recovery_code_too(app, client, db_session, make, accounts):
    account = accounts(make.event())
    log_in(client, account)
    authenticator, codes = enrol(client)
    code = next_code(authenticator)
    first = app.test_client()
    log_in(first, account)
    assert second_step(first, code).status_code == 303

    replay = app.test_client()
    log_in(replay, account)
    replayed = second_step(replay, code)
    by_recovery = second_step(replay, codes[3].upper())
    again = app.test_client()
    log_in(again, account)
    reused = second_step(again, codes[3])

    assert replayed.status_code == 401
    assert by_recovery.status_code == 303
    assert reused.status_code == 401
    db_session.expire_all()
    assert (
        len(db_session.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))).all())
        == 1
    )
    assert "9 codes de secours inutilisés." in replay.get("/organiser/account").text


def test_the_second_step_needs_the_password_first(app, make, accounts):
    client = app.test_client()

    response = client.get("/organiser/login/code")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login")


def test_a_wrong_enrolment_code_leaves_two_factor_off(client, db_session, make, accounts):
    account = accounts(make.event())
    log_in(client, account)
    first = client.get("/organiser/account/two-factor").text

    refused = post_form(client, "/organiser/account/two-factor", code="123456")

    assert refused.status_code == 422
    assert "Ce code n'est pas valide" in refused.text
    assert SECRET.search(refused.text)[1] == SECRET.search(first)[1]  # the same QR code
    db_session.expire_all()
    assert db_session.get(Organiser, account.organiser.id).totp_confirmed_at is None


def test_two_factor_is_turned_off_with_the_password(client, db_session, make, accounts):
    account = accounts(make.event())
    log_in(client, account)
    enrol(client)

    wrong = post_form(client, "/organiser/account/two-factor/disable", password="nope")
    done = post_form(client, "/organiser/account/two-factor/disable", password=PASSWORD)

    assert wrong.status_code == 422
    assert done.status_code == 303
    db_session.expire_all()
    organiser = db_session.get(Organiser, account.organiser.id)
    assert organiser.totp_secret is None and not organiser.has_two_factor
    assert db_session.scalars(select(RecoveryCode)).all() == []
    assert log_in(client, account).headers["Location"] == "/organiser/"


def test_an_admin_must_enrol_before_using_the_area_when_required(app, client, db_session, accounts):
    app.config["ORGANISER_2FA_REQUIRED_FOR_ADMINS"] = True
    admin = accounts(admin=True)
    log_in(client, admin)

    sent_away = client.get("/organiser/")
    accounts_page = client.get("/organiser/accounts")
    authenticator, _codes = enrol(client)
    cannot_disable = post_form(client, "/organiser/account/two-factor/disable", password=PASSWORD)

    assert sent_away.status_code == 302
    assert sent_away.headers["Location"] == "/organiser/account/two-factor"
    assert accounts_page.headers["Location"] == "/organiser/account/two-factor"
    assert client.get("/organiser/").status_code == 200
    assert cannot_disable.status_code == 422
    assert authenticator.secret


def test_an_admin_resets_the_second_factor_of_an_account_that_lost_it(
    app, client, db_session, make, accounts
):
    account = accounts(make.event())
    admin = accounts(admin=True)
    theirs = app.test_client()
    log_in(theirs, account)
    enrol(theirs)
    log_in(client, admin)

    response = post_form(client, f"/organiser/accounts/{account.organiser.id}/two-factor/reset")

    assert response.status_code == 303
    assert log_in(app.test_client(), account).headers["Location"] == "/organiser/"
    assert theirs.get("/organiser/").status_code == 302
    assert changes_recorded(db_session)[-1] == "two_factor.reset"
