"""One group's dates as a file, behind the "add to calendar" buttons."""

from __future__ import annotations

from flask import Blueprint, Response

from services.calendar import operations
from services.calendar.delivery import Delivery, serve_public_feed

bp = Blueprint("sessions", __name__, url_prefix="/sessions")


@bp.get("/<int:group_id>.ics")
def group_dates(group_id: int) -> Response:
    """Every date of one group."""
    feed = operations.group_feed(group_id)
    return serve_public_feed(feed, Delivery(f"atelier-{group_id}.ics", attachment=True))
