"""Logging in and out, the session cookie, login rate limits, CSRF, and the account commands."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from services.registration.accounts.auth import authenticate
from shared.models import ApiToken, Organiser
from tests.organiser.conftest import PASSWORD, csrf_token, log_in

SET_COOKIE_SESSION = re.compile(r"^session=", re.IGNORECASE)


def session_cookie(response) -> str:
    """The Set-Cookie header of Flask's session cookie."""
    return next(h for h in response.headers.getlist("Set-Cookie") if SET_COOKIE_SESSION.match(h))


def test_login_opens_the_organiser_area_with_a_strict_cookie(client, make, accounts):
    account = accounts(make.event())

    response = log_in(client, account)

    assert response.status_code == 303
    assert response.headers["Location"] == "/organiser/"
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert client.get("/organiser/").status_code == 200


def test_cookie_is_secure_when_served_over_https(app, db_session, make, accounts):
    account = accounts(make.event())
    client = app.test_client()
    token_page = client.get("/organiser/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page.get_data(as_text=True))

    response = client.post(
        "/organiser/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/organiser/login"},
        data={"email": account.organiser.email, "password": PASSWORD, "csrf_token": token[1]},
    )

    assert response.status_code == 303
    assert "Secure" in session_cookie(response)


def test_wrong_password_is_refused_without_opening_a_session(client, make, accounts):
    account = accounts(make.event())

    response = log_in(client, account, password="not it")

    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/organiser/").status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(client, make, accounts):
    event = make.event()
    account = accounts(event)
    asked = client.get(f"/organiser/events/{event.slug}/")
    assert asked.headers["Location"] == f"/organiser/login?next=/organiser/events/{event.slug}/"

    for target, expected in (
        (f"/organiser/events/{event.slug}/", f"/organiser/events/{event.slug}/"),
        ("https://evil.example.org/organiser/", "/organiser/"),
        ("//evil.example.org/organiser/", "/organiser/"),
    ):
        client.post("/organiser/logout", data={"csrf_token": csrf_token(client)})
        response = client.post(
            "/organiser/login",
            data={
                "email": account.organiser.email,
                "password": PASSWORD,
                "next": target,
                "csrf_token": csrf_token(client),
            },
        )
        assert response.headers["Location"] == expected


def test_logout_closes_the_session(client, make, accounts):
    account = accounts(make.event())
    log_in(client, account)

    response = client.post("/organiser/logout", data={"csrf_token": csrf_token(client)})

    assert response.status_code == 303
    assert client.get("/organiser/").status_code == 302


def test_form_without_csrf_token_is_refused_and_changes_nothing(client, make, accounts, db_session):
    group = make.group(capacity=20)
    account = accounts(group.event)
    log_in(client, account)

    response = client.post(
        f"/organiser/events/{group.event.slug}/groups/{group.slug}/capacity", data={"capacity": 5}
    )

    assert response.status_code == 400
    db_session.refresh(group)
    assert group.capacity == 20


def test_failed_logins_are_limited_per_account_from_any_address(app, db_session, make, accounts):
    account = accounts(make.event())
    app.config["RATE_LIMIT_LOGIN_PER_ACCOUNT"] = "3 per 10 minutes"

    statuses = []
    for attempt in range(5):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{attempt + 1}"
        statuses.append(log_in(client, account, password="guess").status_code)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    locked = log_in(client, account)

    assert statuses == [401, 401, 401, 429, 429]
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 600
    assert "Trop de tentatives" in locked.get_data(as_text=True)


def test_failed_logins_are_limited_per_address_across_accounts(app, db_session, make, accounts):
    event = make.event()
    app.config["RATE_LIMIT_LOGIN_PER_ADDRESS"] = "2 per 10 minutes"
    client = app.test_client()

    statuses = [log_in(client, accounts(event), password="guess").status_code for _ in range(3)]

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"

    assert statuses == [401, 401, 429]
    assert log_in(elsewhere, accounts(event)).status_code == 303


def test_successful_logins_do_not_count_against_the_limit(app, db_session, make, accounts):
    account = accounts(make.event())
    app.config["RATE_LIMIT_LOGIN_PER_ACCOUNT"] = "2 per 10 minutes"

    statuses = [log_in(app.test_client(), account).status_code for _ in range(4)]

    assert statuses == [303, 303, 303, 303]


def test_api_refuses_an_unknown_token_in_the_requested_language(client, make):
    event = make.event()

    response = client.get(
        f"/api/v1/events/{event.slug}/dashboard",
        headers={"Authorization": "Bearer nope", "Accept-Language": "uk"},
    )

    assert response.status_code == 401
    assert response.json == {
        "code": "unauthenticated",
        "status": 401,
        "message": "Потрібна автентифікація.",
    }


@pytest.fixture
def cli(app, db_session):
    """Run the service's flask commands inside the test's transaction."""
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def test_create_organiser_reads_the_password_from_stdin_and_prints_a_token(
    cli, client, make, db_session
):
    event = make.event()

    result = cli(
        "create-organiser", "Anna@Example.org", "--event", event.slug, input="s3cret pass\n"
    )

    assert result.exit_code == 0, result.output
    # Read from standard output alone: click's output also holds what any thread of the
    # process wrote to standard error meanwhile, such as a log line.
    token = result.stdout.strip().splitlines()[-1]
    organiser = db_session.scalar(select(Organiser).where(Organiser.email == "anna@example.org"))
    assert organiser.password_hash.startswith("$argon2id$")
    assert authenticate(db_session, "anna@example.org", "s3cret pass") is organiser
    assert token not in {t.token_digest for t in db_session.scalars(select(ApiToken))}
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/events/{event.slug}/dashboard", headers=bearer).status_code == 200


def test_revoke_token_stops_it_at_once(cli, client, make):
    event = make.event()
    token = cli("create-organiser", "ben@example.org", "--admin", input="pw\n").stdout.split()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/events/{event.slug}/dashboard", headers=bearer).status_code == 200

    result = cli("revoke-token", token)

    assert result.exit_code == 0
    assert client.get(f"/api/v1/events/{event.slug}/dashboard", headers=bearer).status_code == 401


def test_list_organisers_shows_accounts_and_refuses_duplicates(cli, make):
    event = make.event(slug="atelier-liste")
    cli("create-organiser", "carla@example.org", "--event", "atelier-liste", input="pw\n")

    listing = cli("list-organisers").output
    duplicate = cli("create-organiser", "CARLA@example.org", input="pw\n")

    assert "carla@example.org\torganiser\t1 token(s)\tatelier-liste" in listing
    assert duplicate.exit_code != 0
    assert event.slug == "atelier-liste"


def test_create_organiser_refuses_an_unknown_event(cli):
    result = cli("create-organiser", "dan@example.org", "--event", "nope", input="pw\n")

    assert result.exit_code != 0
    assert "unknown event: nope" in result.output
