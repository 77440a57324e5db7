"""Organiser API: check-in at the door. A phone sends the presence it recorded, one mark or a
day's offline queue at once, and downloads the date's codes to recognise them offline."""

from __future__ import annotations

from typing import Any

from services.registration.area import api_blueprint
from services.registration.organiser import checkins
from services.registration.organiser.actions import organising
from services.registration.organiser.checkins import CheckinReport, DateCodes
from services.registration.organiser.schemas.checkins import (
    CheckinBatchSchema,
    CheckinReportSchema,
    DateCodesSchema,
)

bp = api_blueprint(
    "organiser_checkins", __name__, "Organisers: check-in at the door with personal codes"
)


@bp.route("/events/<event_slug>/dates/<int:date_id>/checkins", methods=["POST"])
@bp.arguments(CheckinBatchSchema)
@bp.response(200, CheckinReportSchema)
@bp.alt_response(403, description="Not an organiser of the event, or past the date's window")
@bp.alt_response(409, description="The date was called off")
def check_in(data: dict[str, Any], event_slug: str, date_id: int) -> CheckinReport:
    """Record presence on the date from scanned codes (or registrations found by name), each
    at its local time: one mark or up to 500. Sending a mark again, or from another door,
    records it once. Each mark is answered in order; a refused one (unknown, replaced or
    another event's code, waiting list, cancelled, another group or date, a time in the
    future or before the date) writes nothing and is named in ``errors`` by its field."""
    return checkins.check_in(organising(), date_id, data["marks"])


@bp.route("/events/<event_slug>/dates/<int:date_id>/checkin-codes", methods=["GET"])
@bp.response(200, DateCodesSchema)
def checkin_codes(event_slug: str, date_id: int) -> DateCodes:
    """What a phone keeps to check people in on the date without network: the SHA-256 digest
    of each expected person's code, their first name and when they were marked present."""
    return checkins.date_codes(organising(), date_id)
