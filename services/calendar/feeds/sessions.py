"""One group's dates as a file, behind the "add to calendar" buttons."""

from __future__ import annotations

from flask import Response

from services.calendar import operations
from services.calendar.serving import FeedFile, documented_feed, serve_public_feed
from shared.app import ApiBlueprint

bp = ApiBlueprint("sessions", __name__, url_prefix="/sessions", description="One group's dates")


@bp.get("/<int:group_id>.ics")
@documented_feed(bp, (404, "No such group"))
def group_dates(group_id: int) -> Response:
    """Every date of one group."""
    feed = operations.group_feed(group_id)
    return serve_public_feed(feed, FeedFile(f"atelier-{group_id}.ics", attachment=True))
