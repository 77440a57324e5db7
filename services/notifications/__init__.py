"""The notifications service: the delivery log API, and the Celery worker and beat."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.notifications import operations, tasks
from services.notifications.api import messages
from services.notifications.settings import notification_settings
from shared.app import create_service_app
from shared.observability import delivery_gauges


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the notifications service: Flask-Mail, the tasks' routes and schedule, the API."""
    app, api = create_service_app(
        __name__,
        "notifications",
        {**notification_settings(), **(config or {})},
        gauges=[delivery_gauges],
    )
    operations.mail.init_app(app)
    tasks.configure(app)
    api.register_blueprint(messages.bp)
    return app
