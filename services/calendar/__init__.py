"""The calendar service: iCalendar feeds per town, per event, per participant, and for
those who run the sessions."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.calendar.answers import RecentAnswers
from services.calendar.cache import init_feed_cache
from services.calendar.feeds import personal, public, sessions, staff
from services.calendar.freshness import init_recent_reads
from services.calendar.pages import index
from shared.app import create_service_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the calendar service."""
    app, api = create_service_app(__name__, "calendar", config)
    init_feed_cache(app)
    init_recent_reads(app)
    app.register_blueprint(index.bp)
    for blueprint in (public.bp, personal.bp, sessions.bp, staff.bp):
        api.register_blueprint(blueprint)
    reads = app.extensions["recent_fingerprints"]
    app.wsgi_app = RecentAnswers(app.wsgi_app, app.name, reads)  # type: ignore[method-assign]
    return app
