"""The registration service: web forms, REST API and organiser area."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.registration import cli, web
from services.registration.accounts import api as accounts_api
from services.registration.accounts import pages as accounts_pages
from services.registration.accounts.auth import init_auth
from services.registration.fields import Money
from services.registration.organiser import api as organiser_api
from services.registration.organiser import pages as organiser_pages
from services.registration.participant import api as participant_api
from services.registration.participant import pages as participant_pages
from shared.app import create_service_app
from shared.observability import registration_gauges

# JSON APIs: callers authenticate with a Bearer token or a manage token, never a cookie.
API_BLUEPRINTS = (
    participant_api.events.bp,
    participant_api.registrations.bp,
    participant_api.certificates.bp,
    organiser_api.rosters.bp,
    organiser_api.events.bp,
    organiser_api.places.bp,
    organiser_api.planning.bp,
    organiser_api.evaluations.bp,
    organiser_api.registration_questions.bp,
    organiser_api.reports.bp,
    organiser_api.messages.bp,
    organiser_api.checkins.bp,
    accounts_api.accounts.bp,
)
# Pages: forms protected against cross-site requests, security headers, HTML errors.
PAGE_BLUEPRINTS = (
    participant_pages.events.bp,
    participant_pages.manage.bp,
    participant_pages.certificates.bp,
    participant_pages.evaluations.bp,
    participant_pages.language.bp,
    accounts_pages.login.bp,
    accounts_pages.passwords.bp,
    accounts_pages.account.bp,
    accounts_pages.team.bp,
    organiser_pages.rosters.bp,
    organiser_pages.team.bp,
    organiser_pages.editing.bp,
    organiser_pages.places.bp,
    organiser_pages.evaluations.bp,
    organiser_pages.journal.bp,
    organiser_pages.registration_questions.bp,
    organiser_pages.reports.bp,
    organiser_pages.messages.bp,
    organiser_pages.checkins.bp,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the registration service."""
    app, api = create_service_app(__name__, "registration", config, gauges=[registration_gauges])
    # The service owning the tokens' table records when each was last used (shared.access).
    app.config.setdefault("RECORDS_TOKEN_USE", True)
    api.register_field(Money, "string", "decimal")
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    init_auth(app)
    web.init_pages(app)
    for blueprint in PAGE_BLUEPRINTS:
        app.register_blueprint(blueprint)
    cli.register(app)
    return app
