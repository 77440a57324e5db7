"""A participant's own feed, opened by the registration's read-only calendar token."""

from __future__ import annotations

from flask import Response

from services.calendar import operations
from services.calendar.serving import documented_feed, serve_token_feed
from shared.app import ApiBlueprint

bp = ApiBlueprint(
    "personal", __name__, url_prefix="/feeds/personal", description="A participant's own feed"
)


@bp.get("/<token>.ics")
@documented_feed(bp, (404, "Unknown token"), (410, "Replaced token"))
def personal_feed(token: str) -> Response:
    """The participant's dates and where they stand; 404 unknown token, 410 replaced one."""
    return serve_token_feed("personal", token, operations.personal_feed, "atelier-personal.ics")
