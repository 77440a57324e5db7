"""The Celery app of the worker and beat: ``celery -A services.notifications.worker worker``."""

from __future__ import annotations

from services.notifications import create_app

# Not named "app": celery -A looks for a Celery instance under that name first.
flask_app = create_app()
celery = flask_app.extensions["celery"]
