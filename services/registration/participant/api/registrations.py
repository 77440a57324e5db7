"""Registering for a group, reading a registration by its manage token, cancelling it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.registration.participant import operations
from services.registration.participant.schemas import RegistrationCreateSchema, RegistrationSchema
from shared.access import View
from shared.app import ApiBlueprint
from shared.database import db
from shared.domain.confirmation import Receipt
from shared.domain.registrations import registration_by_token
from shared.limits import limiter, registration_limit, token_lookup_limit
from shared.models import Registration

TOO_MANY = "Too many requests from this address; retry after the Retry-After delay"

bp = ApiBlueprint("registrations", __name__, url_prefix="/api/v1", description="Registrations")


def token_refusals(view: View) -> View:
    """Document what a look-up by manage token answers besides its success."""
    for status, description in ((404, "Unknown token"), (410, "Replaced token"), (429, TOO_MANY)):
        view = bp.alt_response(status, description=description)(view)
    return view


@bp.route("/events/<event_slug>/registrations")
class EventRegistrations(MethodView):
    @limiter.limit(registration_limit)
    @bp.arguments(RegistrationCreateSchema)
    @bp.response(201, RegistrationSchema)
    @bp.alt_response(404, description="No such event or group")
    @bp.alt_response(409, description="Closed, or already registered")
    @bp.alt_response(429, description=TOO_MANY)
    @bp.alt_response(503, description="Too busy; retry after the Retry-After delay")
    def post(self, data: dict[str, Any], event_slug: str) -> Registration | Receipt:
        """Register for one group: confirmed while places remain, otherwise waitlisted.

        Where the event asks for confirmation by email, the answer is ``awaiting_confirmation``
        with ``confirm_by`` and only what was sent: no id and no links (the email carries
        them), and the same answer for an address already registered (its owner is told by
        email). Unconfirmed by ``confirm_by``, the place is released."""
        return operations.register_participant(db.session, event_slug, data)


@bp.route("/registrations/<manage_token>")
class RegistrationDetail(MethodView):
    decorators = (limiter.limit(token_lookup_limit),)

    @bp.response(200, RegistrationSchema)
    @token_refusals
    def get(self, manage_token: str) -> Registration:
        """The registration this manage token opens."""
        return registration_by_token(db.session, manage_token)


@bp.route("/registrations/<manage_token>/cancel")
class RegistrationCancellation(MethodView):
    decorators = (limiter.limit(token_lookup_limit),)

    @bp.response(200, RegistrationSchema)
    @token_refusals
    @bp.alt_response(409, description="Too late: the first date of the place has begun")
    def post(self, manage_token: str) -> Registration:
        """Cancel the registration; cancelling again changes nothing. A confirmed place is
        cancelled here until its first date begins, a place on the waiting list at any time."""
        return operations.cancel_by_token(db.session, manage_token)
