"""The registration service: web forms, REST API and organiser area."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.registration import cli, web
from services.registration.auth import init_auth
from services.registration.schemas import Money
from services.registration.views import (
    events,
    language,
    manage,
    organiser_auth,
    organiser_events,
    organiser_manage,
    organiser_pages,
    organiser_rosters,
    pages,
    registrations,
)
from shared.app import create_service_app
from shared.observability import registration_gauges

# JSON APIs: callers authenticate with a Bearer token or a manage token, never a cookie.
API_BLUEPRINTS = (events.bp, registrations.bp, organiser_rosters.bp, organiser_events.bp)
# Pages: forms protected against cross-site requests, security headers, HTML errors.
PAGE_BLUEPRINTS = (
    pages.bp,
    manage.bp,
    language.bp,
    organiser_auth.bp,
    organiser_pages.bp,
    organiser_manage.bp,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the registration service."""
    app, api = create_service_app(__name__, "registration", config, gauges=[registration_gauges])
    api.register_field(Money, "string", "decimal")
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    init_auth(app)
    web.init_pages(app)
    for blueprint in PAGE_BLUEPRINTS:
        app.register_blueprint(blueprint)
    cli.register(app)
    return app
