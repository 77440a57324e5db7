"""The private feeds of those who run the sessions: a trainer's dates, an organiser's
planning, each opened by its token (shared.domain.staff_feeds)."""

from __future__ import annotations

from flask import Response

from services.calendar import operations
from services.calendar.serving import documented_feed, serve_token_feed
from shared.app import ApiBlueprint

bp = ApiBlueprint(
    "staff",
    __name__,
    url_prefix="/feeds",
    description="A trainer's dates and an organiser's planning",
)


@bp.get("/trainers/<token>.ics")
@documented_feed(bp, (404, "Unknown token"), (410, "Replaced token"))
def trainer_feed(token: str) -> Response:
    """The trainer's dates, held and called off, with group, venue and room."""
    return serve_token_feed("trainer", token, operations.trainer_feed, "atelier-formation.ics")


@bp.get("/planning/<token>.ics")
@documented_feed(bp, (404, "Unknown token"), (410, "Replaced token"))
def planning_feed(token: str) -> Response:
    """The dates of the events the organiser runs, drafts included."""
    return serve_token_feed("planning", token, operations.planning_feed, "atelier-planning.ics")
