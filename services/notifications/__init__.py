"""The notifications service: the delivery log API, and the Celery worker and beat."""

from __future__ import annotations

from typing import Any

from flask import Flask

from shared.app import create_service_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the notifications service."""
    app, _api = create_service_app(__name__, "notifications", config)
    return app
