"""Events and their groups, dates and availability."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.registration.participant import operations
from services.registration.participant.schemas import (
    EventDetailSchema,
    EventQueryArgsSchema,
    EventSchema,
)
from shared.app import ApiBlueprint
from shared.database import db
from shared.models import Event
from shared.paging import PAGE_HEADERS, paged

bp = ApiBlueprint("events", __name__, url_prefix="/api/v1/events", description="Events and groups")


@bp.route("")
class Events(MethodView):
    @bp.arguments(EventQueryArgsSchema, location="query")
    @bp.response(200, EventSchema(many=True), headers=PAGE_HEADERS)
    def get(self, args: dict[str, Any]) -> tuple[list[Event], int, dict[str, str]]:
        """Events with their groups, dates and places left, a page at a time: by default
        those with a date to come or under way, soonest first (``upcoming=false``: every
        event, by its first date). The next page is the ``Link`` header's rel="next", also
        reached by passing ``X-Pagination``'s ``next`` as ``cursor``."""
        return paged(operations.events_page(db.session, **args))


@bp.route("/<event_slug>")
class EventDetail(MethodView):
    @bp.response(200, EventDetailSchema)
    @bp.alt_response(404, description="No such event")
    def get(self, event_slug: str) -> Event:
        """One event with its groups, dates and places left, and the questions its
        registration form asks (answered in a registration's ``answers``)."""
        return operations.get_event(db.session, event_slug)
