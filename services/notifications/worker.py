"""The Celery app of the worker and beat: ``celery -A services.notifications.worker worker``."""

from __future__ import annotations

from services.notifications import create_app

app = create_app()
celery = app.extensions["celery"]
