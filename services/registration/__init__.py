"""The registration service: web forms, REST API and organiser area."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.registration import cli, web
from services.registration.views import events, language, manage, pages, registrations
from shared.app import create_service_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the registration service."""
    app, api = create_service_app(__name__, "registration", config)
    api.register_blueprint(events.bp)
    api.register_blueprint(registrations.bp)
    web.init_pages(app)
    for page_blueprint in (pages.bp, manage.bp, language.bp):
        app.register_blueprint(page_blueprint)
    cli.register(app)
    return app
