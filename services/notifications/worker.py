"""The Celery app of the worker and beat: ``celery -A services.notifications.worker worker``."""

from __future__ import annotations

import gc
import os

from services.notifications import create_app

# Not named "app": celery -A looks for a Celery instance under that name first.
flask_app = create_app()
celery = flask_app.extensions["celery"]
# Sending processes of each worker (its --concurrency wins); Celery's default is one per core.
# Each holds the app in memory: the small profile runs one (docs/production.md).
if concurrency := os.environ.get("CELERY_CONCURRENCY", "").strip():
    celery.conf.worker_concurrency = int(concurrency)
# The pool's processes (and beat, run with -B) are forked from this one with the app built.
# Frozen, its objects are left out of their garbage collections, which would otherwise write
# to nearly every page they share with it, and so copy it: about 40 MiB per process.
gc.collect()
gc.freeze()
