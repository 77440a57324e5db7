"""Public feeds: every session, one town's, one event's. They hold no participant data."""

from __future__ import annotations

from flask import Response

from services.calendar import operations
from services.calendar.serving import FeedFile, documented_feed, serve_public_feed
from shared.app import ApiBlueprint

bp = ApiBlueprint("feeds", __name__, url_prefix="/feeds", description="Public iCalendar feeds")


@bp.get("/all.ics")
@documented_feed(bp)
def all_sessions() -> Response:
    """Every upcoming and recent session."""
    return serve_public_feed(operations.all_sessions_feed(), FeedFile("atelier.ics"))


@bp.get("/towns/<town_slug>.ics")
@documented_feed(bp, (404, "No such town"))
def town(town_slug: str) -> Response:
    """Upcoming and recent sessions in one town."""
    feed = operations.town_feed(town_slug)
    return serve_public_feed(feed, FeedFile(f"{town_slug}.ics"))


@bp.get("/events/<event_slug>.ics")
@documented_feed(bp, (404, "No such event"))
def event(event_slug: str) -> Response:
    """Every date of one event."""
    feed = operations.event_feed(event_slug)
    return serve_public_feed(feed, FeedFile(f"{event_slug}.ics"))
