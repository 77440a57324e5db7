"""Logging in and out, the session cookie, login rate limits, CSRF, and the account commands."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select

from services.registration.accounts.auth import authenticate
from services.registration.accounts.throttle import AUTH, count_attempt
from shared.errors import TooManyAttempts
from shared.models import ApiToken, Organiser
from tests.organiser.conftest import PASSWORD, csrf_token, log_in

CLI_PASSWORD = "long enough pass\n"
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


def test_failed_logins_wait_longer_and_longer_per_account_and_address(
    app, db_session, make, accounts
):
    account = accounts(make.event())
    app.config["AUTH_ATTEMPTS_BEFORE_DELAY"] = 3
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "192.0.2.1"

    statuses = [log_in(guesser, account, password="guess").status_code for _ in range(4)]
    right_but_late = log_in(guesser, account)

    assert statuses == [401, 401, 401, 429]
    assert right_but_late.status_code == 429
    assert 0 < int(right_but_late.headers["Retry-After"]) <= 30
    assert "Trop de tentatives" in right_but_late.get_data(as_text=True)


def test_guesses_from_anywhere_never_lock_the_owner_out(app, db_session, make, accounts):
    account = accounts(make.event())
    app.config["AUTH_ATTEMPTS_BEFORE_DELAY"] = 3

    for attempt in range(12):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"192.0.2.{attempt // 4 + 1}"
        log_in(guesser, account, password="guess")
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"

    assert log_in(owner, account).status_code == 303


def test_failed_logins_are_limited_per_address_across_accounts(app, db_session, make, accounts):
    event = make.event()
    app.config["AUTH_ATTEMPTS_PER_ADDRESS_BEFORE_DELAY"] = 2
    client = app.test_client()

    statuses = [log_in(client, accounts(event), password="guess").status_code for _ in range(3)]

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"

    assert statuses == [401, 401, 429]
    assert log_in(elsewhere, accounts(event)).status_code == 303


def test_successful_logins_do_not_count_against_the_limit(app, db_session, make, accounts):
    account = accounts(make.event())
    app.config["AUTH_ATTEMPTS_BEFORE_DELAY"] = 2

    statuses = [log_in(app.test_client(), account).status_code for _ in range(4)]

    assert statuses == [303, 303, 303, 303]


def test_logins_are_refused_not_let_through_when_attempts_cannot_be_counted(
    app, db_session, make, accounts, monkeypatch
):
    account = accounts(make.event())
    dead_redis = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, "redis", dead_redis)

    page = log_in(app.test_client(), account)
    api = app.test_client().post(
        "/api/v1/organiser/tokens",
        json={"name": "Script", "password": PASSWORD},
        headers=account.bearer,
    )

    assert page.status_code == 503
    assert "momentanément indisponible" in page.get_data(as_text=True)
    assert api.status_code == 503
    assert api.json["code"] == "attempts_uncounted"
    assert api.headers["Retry-After"] == "30"
    dead_redis.close()


def test_parallel_attempts_never_get_an_extra_try(app):
    app.config["AUTH_ATTEMPTS_BEFORE_DELAY"] = 5
    barrier = threading.Barrier(12, timeout=10)
    outcomes: list[str] = []

    def attempt() -> None:
        with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.9"}):
            barrier.wait()
            try:
                count_attempt("login:someone@example.org")
                outcomes.append("checked")
            except TooManyAttempts:
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes).count("checked") == 5


def test_delays_double_up_to_a_ceiling(app):
    app.config["AUTH_ATTEMPTS_BEFORE_DELAY"] = 1
    now = 1_000_000_000
    waits = []
    with app.test_request_context():
        for _ in range(9):
            AUTH.attempt("pair", now_ms=now)
            try:
                AUTH.attempt("pair", now_ms=now)
            except TooManyAttempts as refusal:
                waits.append(int(refusal.headers["Retry-After"]))
            now += waits[-1] * 1000

    assert waits == [30, 60, 120, 240, 480, 900, 900, 900, 900]


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
    token = cli(
        "create-organiser", "ben@example.org", "--admin", input=CLI_PASSWORD
    ).stdout.split()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/events/{event.slug}/dashboard", headers=bearer).status_code == 200

    result = cli("revoke-token", token)

    assert result.exit_code == 0
    assert client.get(f"/api/v1/events/{event.slug}/dashboard", headers=bearer).status_code == 401


def test_list_organisers_shows_accounts_and_refuses_duplicates(cli, make):
    event = make.event(slug="atelier-liste")
    cli(
        "create-organiser",
        "carla@example.org",
        "--event",
        "atelier-liste",
        input=CLI_PASSWORD,
    )

    listing = cli("list-organisers").output
    duplicate = cli("create-organiser", "CARLA@example.org", input=CLI_PASSWORD)

    assert "carla@example.org\torganiser\t1 token(s)\tatelier-liste" in listing
    assert duplicate.exit_code != 0
    assert event.slug == "atelier-liste"


def test_create_organiser_refuses_a_password_the_pages_would_refuse(cli, db_session):
    result = cli("create-organiser", "eve@example.org", "--admin", input="short\n")

    assert result.exit_code != 0
    assert "Choisissez un mot de passe de 10 à 200 caractères." in result.output
    assert db_session.scalar(select(Organiser).where(Organiser.email == "eve@example.org")) is None


def test_the_token_printed_by_create_organiser_lasts_the_default_90_days(cli, db_session):
    cli("create-organiser", "fay@example.org", input=CLI_PASSWORD)

    api_token = db_session.scalars(
        select(ApiToken).join(Organiser).where(Organiser.email == "fay@example.org")
    ).one()

    assert api_token.expires_at - api_token.created_at == timedelta(days=90)


def test_create_organiser_refuses_an_unknown_event(cli):
    result = cli("create-organiser", "dan@example.org", "--event", "nope", input=CLI_PASSWORD)

    assert result.exit_code != 0
    assert "unknown event: nope" in result.output
