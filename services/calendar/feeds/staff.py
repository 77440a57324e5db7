"""The private feeds of those who run the sessions: a trainer's dates, an organiser's
planning, each opened by its token (shared.domain.staff_feeds)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response, request
from sqlalchemy.orm import Session

from services.calendar import operations
from services.calendar.freshness import recent_fingerprints
from services.calendar.serving import FeedFile, documented_feed, serve_feed
from shared.app import ApiBlueprint
from shared.database import db, utcnow
from shared.i18n import LANGUAGES
from shared.tokens import digest

bp = ApiBlueprint(
    "staff",
    __name__,
    url_prefix="/feeds",
    description="A trainer's dates and an organiser's planning",
)

Opener = Callable[[Session, str, str | None, datetime], operations.PrivateFeed]


@bp.get("/trainers/<token>.ics")
@documented_feed(bp, (404, "Unknown token"), (410, "Replaced token"))
def trainer_feed(token: str) -> Response:
    """The trainer's dates, held and called off, with group, venue and room."""
    return _serve("trainer", token, operations.trainer_feed, "atelier-formation.ics")


@bp.get("/planning/<token>.ics")
@documented_feed(bp, (404, "Unknown token"), (410, "Replaced token"))
def planning_feed(token: str) -> Response:
    """The dates of the events the organiser runs, drafts included."""
    return _serve("planning", token, operations.planning_feed, "atelier-planning.ics")


def _serve(kind: str, token: str, opener: Opener, filename: str) -> Response:
    now = utcnow()
    requested = request.args.get("lang")
    language = requested if requested in LANGUAGES else None
    # Remembered by the token's digest: the token itself is kept nowhere.
    feed = recent_fingerprints().get(
        f"{kind}:{digest(token)}:{language}",
        lambda: opener(db.session, token, language, now),
    )
    feed_file = FeedFile(filename, private=True)
    return serve_feed(feed.selection, feed.fingerprint, feed.language, feed_file, now)
