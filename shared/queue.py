"""The Celery app, built Flask-style: every task runs inside its Flask app's context."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

MAIL_QUEUE = "mail"
HOUSEKEEPING_QUEUE = "housekeeping"
# Longer than any retry delay or send, so Redis never hands a task still in progress to a
# second worker; a task lost with its worker comes back after this.
VISIBILITY_TIMEOUT_S = 3600


def celery_init_app(app: Flask) -> Celery:
    """Create the app's Celery instance, store it in ``app.extensions['celery']``, return it."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(
        {
            "broker_url": app.config["REDIS_URL"],
            "task_ignore_result": True,
            "task_serializer": "json",
            "accept_content": ["json"],
            "result_serializer": "json",
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_S},
            "task_default_queue": MAIL_QUEUE,
            "timezone": "Europe/Brussels",
            **app.config.get("CELERY", {}),
        }
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
