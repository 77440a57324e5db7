"""Every organiser route of every service refuses anonymous callers and organisers of other
events. Routes are found by walking each app's URL map: a route belongs to the organiser area
when its blueprint joined it (shared.access.organiser_area), so a new route cannot be missed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, session
from sqlalchemy.orm import sessionmaker
from werkzeug.routing import Rule

from services.registration.accounts import auth
from services.registration.accounts.operations import invite
from shared.access import (
    AreaKind,
    area_of,
    is_admin_only,
    is_public,
)
from shared.database import create_db_engine
from tests.organiser.conftest import Account, Accounts
from tests.support.factories import Factory

SERVICES = ("services.registration", "services.notifications", "services.calendar")
# Organiser routes that address a record rather than an event check the record's event (or
# owner) themselves: to an organiser of another event the record does not exist (404).
RECORD_ARGUMENTS = {"message_id", "invitation_id", "token_id"}
# Venues, rooms and trainers belong to no event: every organiser may manage them.
SHARED_ARGUMENTS = {"venue_id", "room_id", "trainer_id", "unavailability_id"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def apps(base_config: dict[str, Any]) -> Iterator[tuple[dict[str, Flask], Factory, Accounts]]:
    """Every service's app, sharing one connection whose transaction is rolled back after."""
    engine = create_db_engine(base_config["DATABASE_URL"])
    connection = engine.connect()
    transaction = connection.begin()
    bound = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    # CSRF is off here so that the organiser check itself answers every form post.
    config = {**base_config, "WTF_CSRF_ENABLED": False}
    apps = {name: importlib.import_module(name).create_app(dict(config)) for name in SERVICES}
    for app in apps.values():
        app.extensions["database"].session_factory = bound
    session = bound()
    yield apps, Factory(session), Accounts(session)
    session.close()
    transaction.rollback()
    connection.close()
    for app in apps.values():
        app.extensions["database"].engine.dispose()
    engine.dispose()


def organiser_routes(app: Flask) -> Iterator[tuple[AreaKind, Rule, str]]:
    """Every (area, rule, method) of the app's organiser area, except public views."""
    for rule in app.url_map.iter_rules():
        area = area_of(app, rule.endpoint)
        if area is None or is_public(app, rule.endpoint):
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            yield area, rule, method


def url_of(app: Flask, rule: Rule, method: str, values: dict[str, Any]) -> str:
    """The rule's URL with the test's event, group, registration and date."""
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments}, method=method)


def logged_in(app: Flask, accounts: Accounts, account: Account) -> dict[str, Any]:
    """The session cookie's contents once the account logged in (its login session kept)."""
    with app.test_request_context():
        auth.log_in(accounts.session, account.organiser)
        return dict(session)


def test_organiser_routes_are_found_and_structured(apps):
    services, _make, _accounts = apps
    registration_routes = list(organiser_routes(services["services.registration"]))
    # The registration service's organiser area: pages and API (a floor, not an inventory).
    assert len(registration_routes) >= 40
    assert {area for area, _rule, _method in registration_routes} == {AreaKind.API, AreaKind.PAGES}
    for app in services.values():
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith("/organiser"):
                assert area_of(app, rule.endpoint) is not None, rule.rule
        for _area, rule, _method in organiser_routes(app):
            # Whatever a route addresses, it is reached through an event the guard checks, is a
            # record whose event or owner the view checks, is shared by every organiser, or is
            # for administrators only.
            if rule.arguments and not is_admin_only(app, rule.endpoint):
                assert (
                    "event_slug" in rule.arguments
                    or rule.arguments <= RECORD_ARGUMENTS
                    or rule.arguments <= SHARED_ARGUMENTS
                ), rule


def test_every_organiser_route_refuses_anonymous_and_other_organisers(apps):
    services, make, accounts = apps
    event = make.event()
    group = make.group(event)
    registration = make.registration(group)
    rightful = accounts(event)
    stranger = accounts(make.event())
    admin = accounts(admin=True)
    message = make.email_message(registration)
    organiser_message = make.organiser_message(group)
    with services["services.registration"].test_request_context():
        invited = invite(accounts.session, rightful.organiser, "new@example.org", [event], "fr")
    cookies = {
        account.organiser.id: logged_in(services["services.registration"], accounts, account)
        for account in (rightful, stranger, admin)
    }
    accounts.session.commit()
    values = {
        "invitation_id": invited.invitation.id,
        "token_id": rightful.organiser.tokens[0].id,
        "organiser_id": rightful.organiser.id,
        "message_id": message.id,
        "copy_id": message.id,
        "event_slug": event.slug,
        "group_slug": group.slug,
        "registration_id": registration.id,
        "date_id": group.dates[0].id,
        "extension": "csv",
        # Numbers no row has: anonymous callers are refused before anything is looked up.
        **dict.fromkeys(SHARED_ARGUMENTS, 1),
    }
    # A message is an email of the delivery log to the notifications service, and a message
    # its organisers wrote to the registration service.
    values_of = {"services.registration": {**values, "message_id": organiser_message.id}}
    checked = 0
    for name, app in services.items():
        for area, rule, method in organiser_routes(app):
            url = url_of(app, rule, method, values_of.get(name, values))
            anonymous = app.test_client().open(url, method=method)
            if area is AreaKind.API:
                assert anonymous.status_code == 401, (method, url)
                assert anonymous.json["code"] == "unauthenticated"
                assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
            else:
                assert anonymous.status_code == 302, (method, url)
                assert anonymous.headers["Location"].startswith("/organiser/login")
            refusal = 403 if "event_slug" in rule.arguments else 404
            rightful_answer = None
            if is_admin_only(app, rule.endpoint):
                # Administrators' routes: refused to every other organiser, whatever they run.
                refusal = rightful_answer = 403
            elif not rule.arguments & ({"event_slug"} | RECORD_ARGUMENTS):
                refusal = None  # listings of one's own (events, invitations, tokens)
            if refusal is None:
                continue
            checks = [(stranger, refusal), (rightful, rightful_answer)]
            if is_admin_only(app, rule.endpoint):
                checks.append((admin, None))
            for account, expected in checks:
                if expected is None and method != "GET":
                    continue  # the rightful organiser's changes are covered elsewhere
                client = app.test_client()
                headers = {}
                if area is AreaKind.API:
                    headers = account.bearer
                else:
                    with client.session_transaction() as cookie_session:
                        cookie_session.update(cookies[account.organiser.id])
                response = client.open(url, method=method, headers=headers)
                assert response.status_code == (expected or 200), (account, method, url)
            checked += 1
    assert checked >= 45


def test_an_admin_reaches_every_event(apps):
    services, make, accounts = apps
    groups = [make.group(make.event()) for _ in range(3)]
    admin = accounts(admin=True)
    organiser = accounts(groups[0].event)  # runs the first event only
    client = services["services.registration"].test_client()

    def statuses(account: Account, page: str) -> list[int]:
        urls = [f"/api/v1/events/{g.event.slug}/{page.format(group=g.slug)}" for g in groups]
        return [client.get(url, headers=account.bearer).status_code for url in urls]

    for page in ("dashboard", "groups/{group}/roster"):
        assert statuses(admin, page) == [200, 200, 200], page
        # The others' events are closed to whoever does not run them.
        assert statuses(organiser, page) == [200, 403, 403], page


def test_unknown_event_is_404_and_revoked_token_401(apps):
    services, make, accounts = apps
    event = make.event()
    account = accounts(event)
    app = services["services.registration"]
    client = app.test_client()

    assert client.get("/api/v1/events/nope/dashboard", headers=account.bearer).status_code == 404
    account.organiser.tokens[0].revoked_at = account.organiser.created_at
    accounts.session.commit()
    refused = client.get(f"/api/v1/events/{event.slug}/dashboard", headers=account.bearer)
    assert refused.status_code == 401
    assert set(refused.json) == {"code", "status", "message"}


def test_openapi_documents_public_and_organiser_operations_side_by_side(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert set(paths["/api/v1/events"]) >= {"get", "post"}
    assert set(paths["/api/v1/events/{event_slug}"]) >= {"get", "patch"}
    assert "get" in paths["/api/v1/events/{event_slug}/groups/{group_slug}/roster"]
    assert "put" in paths["/api/v1/events/{event_slug}/registrations/{registration_id}/attendance"]
