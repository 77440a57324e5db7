"""The registration service: web forms, REST API and organiser area."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.registration import cli
from services.registration.views import events, registrations
from shared.app import create_service_app
from shared.observability import registration_gauges


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the registration service."""
    app, api = create_service_app(__name__, "registration", config, gauges=[registration_gauges])
    api.register_blueprint(events.bp)
    api.register_blueprint(registrations.bp)
    cli.register(app)
    return app
