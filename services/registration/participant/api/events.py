"""Events and their groups, dates and availability."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.registration.participant import operations
from services.registration.participant.schemas import EventQueryArgsSchema, EventSchema
from shared.app import ApiBlueprint
from shared.database import db
from shared.models import Event

bp = ApiBlueprint("events", __name__, url_prefix="/api/v1/events", description="Events and groups")


@bp.route("")
class Events(MethodView):
    @bp.arguments(EventQueryArgsSchema, location="query")
    @bp.response(200, EventSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[Event]:
        """List events with their groups, dates and places left."""
        return operations.list_events(db.session, **args)


@bp.route("/<event_slug>")
class EventDetail(MethodView):
    @bp.response(200, EventSchema)
    @bp.alt_response(404, description="No such event")
    def get(self, event_slug: str) -> Event:
        """One event with its groups, dates and places left."""
        return operations.get_event(db.session, event_slug)
