"""Personal API tokens in the browser and the API: created with a name and a lifetime after the
password (and the code), shown once, listed with their last use and expiry, revoked (stopping
at once), never another organiser's; ended by a reset and a second-factor reset, refused to an
administrator who must enrol a second factor."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from services.registration.accounts.operations import request_reset
from shared.database import utcnow
from shared.domain.accounts import RESET_PURPOSE, account_link_token
from shared.i18n import format_day
from shared.models import ApiToken
from tests.organiser.conftest import PASSWORD, changes_recorded, log_in, post_form
from tests.organiser.test_two_factor import enrol, next_code

SHOWN = re.compile(r'<code class="secret" dir="ltr">([^<]+)</code>')


def test_a_token_made_in_the_browser_is_shown_once_works_and_is_revoked(
    client, db_session, make, accounts
):
    event = make.event()
    account = accounts(event)
    log_in(client, account)
    dashboard = f"/api/v1/events/{event.slug}/dashboard"

    created = post_form(
        client, "/organiser/account/tokens", name="Tableur du réseau", password=PASSWORD
    )
    value = SHOWN.search(created.text)[1]
    bearer = {"Authorization": f"Bearer {value}"}
    used = client.get(dashboard, headers=bearer)
    listing = client.get("/organiser/account").text
    api_token = db_session.scalars(
        select(ApiToken).where(ApiToken.name == "Tableur du réseau")
    ).one()
    revoked = post_form(client, f"/organiser/account/tokens/{api_token.id}/revoke")

    assert created.status_code == 200 and value not in listing
    assert created.headers["Cache-Control"] == "no-store"
    assert used.status_code == 200
    assert "Tableur du réseau" in listing
    db_session.refresh(api_token)
    assert api_token.last_used_at is not None
    assert revoked.status_code == 303
    assert client.get(dashboard, headers=bearer).status_code == 401
    assert "Tableur du réseau" not in client.get("/organiser/account").text
    assert changes_recorded(db_session) == ["token.created", "token.revoked"]


def test_the_api_lists_creates_and_revokes_ones_own_tokens_only(client, make, accounts):
    event = make.event()
    account = accounts(event)
    other = accounts(event)

    created = client.post(
        "/api/v1/organiser/tokens",
        json={"name": "Script", "password": PASSWORD},
        headers=account.bearer,
    )
    listed = client.get("/api/v1/organiser/tokens", headers=account.bearer).json
    not_theirs = client.delete(
        f"/api/v1/organiser/tokens/{created.json['id']}", headers=other.bearer
    )
    nameless = client.post(
        "/api/v1/organiser/tokens", json={"name": "", "password": PASSWORD}, headers=account.bearer
    )
    revoked = client.delete(
        f"/api/v1/organiser/tokens/{created.json['id']}", headers=account.bearer
    )

    assert created.status_code == 201 and len(created.json["token"]) >= 32
    assert [t["name"] for t in listed] == ["Script", ""]  # newest first, the fixture's token
    assert "token" not in listed[0]
    assert listed[1]["last_used_at"] is not None  # this very request used it
    assert not_theirs.status_code == 404
    assert nameless.status_code == 422
    assert revoked.status_code == 204
    bearer = {"Authorization": f"Bearer {created.json['token']}"}
    assert client.get("/api/v1/organiser/tokens", headers=bearer).status_code == 401


def test_a_new_token_asks_for_the_password_in_the_browser_and_the_api(
    client, db_session, make, accounts
):
    account = accounts(make.event())
    log_in(client, account)

    page = post_form(client, "/organiser/account/tokens", name="Volé", password="not it")
    api = client.post(
        "/api/v1/organiser/tokens",
        json={"name": "Volé", "password": "not it"},
        headers={**account.bearer, "Accept-Language": "en"},
    )
    without = client.post("/api/v1/organiser/tokens", json={"name": "Volé"}, headers=account.bearer)

    assert page.status_code == 422 and "Mot de passe incorrect." in page.text
    assert api.status_code == 422 and api.json["errors"] == {"password": ["Incorrect password."]}
    assert without.status_code == 422 and "password" in without.json["errors"]
    assert db_session.scalars(select(ApiToken).where(ApiToken.name == "Volé")).all() == []


def test_a_new_token_asks_for_the_code_when_the_account_has_two_factor(
    client, db_session, make, accounts
):
    account = accounts(make.event())
    log_in(client, account)
    authenticator, _codes = enrol(client)
    asked = {"name": "Script", "password": PASSWORD}

    without_code = client.post("/api/v1/organiser/tokens", json=asked, headers=account.bearer)
    with_code = client.post(
        "/api/v1/organiser/tokens",
        json={**asked, "code": next_code(authenticator)},
        headers=account.bearer,
    )

    assert without_code.status_code == 422 and "code" in without_code.json["errors"]
    assert with_code.status_code == 201


def test_a_token_lasts_90_days_or_as_chosen_and_stops_at_its_end(
    app, client, db_session, make, accounts
):
    event = make.event()
    account = accounts(event)
    log_in(client, account)

    default = client.post(
        "/api/v1/organiser/tokens",
        json={"name": "Trimestre", "password": PASSWORD},
        headers=account.bearer,
    )
    chosen = post_form(
        client, "/organiser/account/tokens", name="Semaine", days="7", password=PASSWORD
    )
    too_long = client.post(
        "/api/v1/organiser/tokens",
        json={"name": "Toujours", "password": PASSWORD, "days": 3650},
        headers=account.bearer,
    )
    tokens = {t.name: t for t in db_session.scalars(select(ApiToken))}
    listing = client.get("/organiser/account").text

    assert default.status_code == 201
    assert tokens["Trimestre"].expires_at - tokens["Trimestre"].created_at == timedelta(days=90)
    assert tokens["Semaine"].expires_at - tokens["Semaine"].created_at == timedelta(days=7)
    assert chosen.status_code == 200
    assert too_long.status_code == 422 and "days" in too_long.json["errors"]
    with app.test_request_context():
        assert format_day(tokens["Semaine"].expires_at) in listing
    assert "Expire le" in listing
    bearer = {"Authorization": f"Bearer {default.json['token']}"}
    dashboard = f"/api/v1/events/{event.slug}/dashboard"
    assert client.get(dashboard, headers=bearer).status_code == 200
    tokens["Trimestre"].expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert client.get(dashboard, headers=bearer).status_code == 401


def test_a_reset_and_a_second_factor_reset_end_the_accounts_tokens(
    app, client, db_session, make, accounts
):
    event = make.event()
    reset_by_link, reset_by_admin = accounts(event), accounts(event)
    admin = accounts(admin=True)
    dashboard = f"/api/v1/events/{event.slug}/dashboard"
    with app.test_request_context():
        reset = request_reset(db_session, reset_by_link.organiser.email, "fr")
        db_session.commit()
        link = f"/organiser/password/reset/{account_link_token(RESET_PURPOSE, reset.nonce)}"
    log_in(client, admin)

    post_form(
        app.test_client(),
        link,
        password="a new passphrase",
        password_confirmation="a new passphrase",
    )
    post_form(client, f"/organiser/accounts/{reset_by_admin.organiser.id}/two-factor/reset")

    assert client.get(dashboard, headers=reset_by_link.bearer).status_code == 401
    assert client.get(dashboard, headers=reset_by_admin.bearer).status_code == 401
    assert client.get(dashboard, headers=admin.bearer).status_code == 200


def test_an_admin_who_must_enrol_cannot_use_a_token_until_enrolled(app, client, make, accounts):
    app.config["ORGANISER_2FA_REQUIRED_FOR_ADMINS"] = True
    event = make.event()
    admin = accounts(admin=True)
    dashboard = f"/api/v1/events/{event.slug}/dashboard"

    refused = client.get(dashboard, headers={**admin.bearer, "Accept-Language": "uk"})
    log_in(client, admin)
    enrol(client)

    assert refused.status_code == 403
    assert refused.json["code"] == "forbidden"
    assert "двохетапну" in refused.json["message"]
    assert client.get(dashboard, headers=admin.bearer).status_code == 200


def test_current_password_checks_on_the_account_page_are_counted(
    app, client, db_session, make, accounts
):
    account = accounts(make.event())
    app.config["AUTH_ATTEMPTS_BEFORE_DELAY"] = 3
    log_in(client, account)

    statuses = [
        post_form(client, "/organiser/account/tokens", name="x", password="guess").status_code,
        post_form(client, "/organiser/account/two-factor/disable", password="guess").status_code,
        post_form(
            client,
            "/organiser/account/password",
            current_password="guess",
            password="another long passphrase",
            password_confirmation="another long passphrase",
        ).status_code,
        post_form(client, "/organiser/account/tokens", name="x", password=PASSWORD).status_code,
    ]
    api = client.post(
        "/api/v1/organiser/tokens",
        json={"name": "x", "password": PASSWORD},
        headers=account.bearer,
    )

    assert statuses == [422, 422, 422, 429]
    assert api.status_code == 429 and api.json["code"] == "too_many_attempts"
