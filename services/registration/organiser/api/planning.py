"""Organiser API: the planning across the organiser's events."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from services.registration.area import api_blueprint
from services.registration.organiser.planning import planning
from services.registration.organiser.schemas.planning import (
    PlannedDateSchema,
    PlanningQuerySchema,
    planned_date_json,
)
from shared.access import current_organiser
from shared.database import db

bp = api_blueprint("organiser_planning", __name__, "Organisers: the planning across events")


@bp.route("/planning", methods=["GET"])
@bp.arguments(PlanningQuerySchema, location="query")
@bp.response(200, PlannedDateSchema(many=True))
def planned_dates(args: dict[str, Any]) -> Response:
    """Every date of the organiser's events from ``from`` to ``to`` (Brussels days, both
    included), by town, venue, trainer or event: where, who, places taken of capacity,
    waiting list, presence still to record once past, and its clashes."""
    rows = planning(db.session, current_organiser(), args)
    # Written directly in the documented shape: a response is not dumped again.
    return jsonify([planned_date_json(row) for row in rows])
