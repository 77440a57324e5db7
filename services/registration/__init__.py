"""The registration service: web forms, REST API and organiser area."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from services.registration import cli
from services.registration.auth import init_auth
from services.registration.views import (
    events,
    organiser_auth,
    organiser_events,
    organiser_manage,
    organiser_pages,
    organiser_rosters,
    registrations,
)
from shared.app import create_service_app
from shared.observability import registration_gauges

# JSON APIs: callers authenticate with a Bearer token or a manage token, never a cookie.
API_BLUEPRINTS = (events.bp, registrations.bp, organiser_rosters.bp, organiser_events.bp)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the registration service."""
    app, api = create_service_app(__name__, "registration", config, gauges=[registration_gauges])
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    init_auth(app)
    csrf = CSRFProtect(app)
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)
    app.register_blueprint(organiser_auth.bp)
    app.register_blueprint(organiser_pages.bp)
    app.register_blueprint(organiser_manage.bp)
    cli.register(app)
    return app
