"""The Celery app of the worker and beat: ``celery -A services.notifications.worker worker``."""

from __future__ import annotations

import gc

from services.notifications import create_app

# Not named "app": celery -A looks for a Celery instance under that name first.
flask_app = create_app()
celery = flask_app.extensions["celery"]
# The pool's processes (and beat, run with -B) are forked from this one with the app built.
# Frozen, its objects are left out of their garbage collections, which would otherwise write
# to nearly every page they share with it, and so copy it: about 40 MiB per process.
gc.collect()
gc.freeze()
