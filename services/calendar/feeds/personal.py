"""A participant's own feed, opened by the registration's read-only calendar token."""

from __future__ import annotations

from flask import Response, request

from services.calendar import operations
from services.calendar.freshness import recent_fingerprints
from services.calendar.serving import FeedFile, documented_feed, serve_feed
from shared.app import ApiBlueprint
from shared.database import db, utcnow
from shared.i18n import LANGUAGES
from shared.tokens import digest

bp = ApiBlueprint(
    "personal", __name__, url_prefix="/feeds/personal", description="A participant's own feed"
)


@bp.get("/<token>.ics")
@documented_feed(bp, (404, "Unknown token"), (410, "Replaced token"))
def personal_feed(token: str) -> Response:
    """The participant's dates and where they stand; 404 unknown token, 410 replaced one."""
    requested = request.args.get("lang")
    language = requested if requested in LANGUAGES else None
    feed = recent_fingerprints().get(
        f"personal:{digest(token)}:{language}",
        lambda: operations.personal_feed(db.session, token, language),
    )
    feed_file = FeedFile("atelier-personal.ics", private=True)
    return serve_feed(feed, feed.fingerprint, feed.language, feed_file, utcnow())
