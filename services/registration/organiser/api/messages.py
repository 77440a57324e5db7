"""Organiser API: messages to an event's participants (preview, send now or schedule, edit,
withdraw, follow up, retry) and the event's delivery log. Only the event's organisers."""

from __future__ import annotations

from typing import Any

from services.registration.area import api_blueprint
from services.registration.organiser import messaging
from services.registration.organiser.actions import organising
from services.registration.organiser.messaging import FollowUp
from services.registration.organiser.schemas.messages import (
    MessageInputSchema,
    MessageSchema,
    PreviewSchema,
    RetrySchema,
)
from shared.access import current_event
from shared.database import db
from shared.domain.organiser_messages import Preview

bp = api_blueprint(
    "organiser_messages", __name__, "Organisers: messages to participants, their delivery"
)


@bp.route("/events/<event_slug>/messages", methods=["GET"])
@bp.response(200, MessageSchema(many=True))
def messages(event_slug: str) -> list[FollowUp]:
    """Every message of the event, newest first, with where each stands."""
    return messaging.messages_of(db.session, current_event())


@bp.route("/events/<event_slug>/messages/preview", methods=["POST"])
@bp.arguments(MessageInputSchema)
@bp.response(200, PreviewSchema)
@bp.alt_response(422, description="Bad input, or nobody in the audience")
def preview(data: dict[str, Any], event_slug: str) -> Preview:
    """How many would receive the message in each language, and how one of each reads it;
    nothing is written."""
    return messaging.preview(organising(), data)


@bp.route("/events/<event_slug>/messages", methods=["POST"])
@bp.arguments(MessageInputSchema)
@bp.response(201, MessageSchema)
@bp.alt_response(422, description="Bad input, nobody in the audience, or a moment past")
@bp.alt_response(429, description="Too many messages from this organiser within the hour")
def compose(data: dict[str, Any], event_slug: str) -> FollowUp:
    """Send a message now, at a moment, or at an offset from a group's first or last held
    date (it follows the dates; a called-off group's never leaves)."""
    by = organising()
    return messaging.follow_up(db.session, by.event, messaging.compose(by, data))


@bp.route("/events/<event_slug>/messages/<int:message_id>", methods=["GET"])
@bp.response(200, MessageSchema)
def message(event_slug: str, message_id: int) -> FollowUp:
    """Where a message stands: scheduled, sending, sent (n of m) or failed (who)."""
    by = organising()
    return messaging.follow_up(db.session, by.event, messaging.find_message(by, message_id))


@bp.route("/events/<event_slug>/messages/<int:message_id>", methods=["PUT"])
@bp.arguments(MessageInputSchema)
@bp.response(200, MessageSchema)
@bp.alt_response(409, description="The message left or was withdrawn")
def edit(data: dict[str, Any], event_slug: str, message_id: int) -> FollowUp:
    """Rewrite a message still waiting for its moment."""
    by = organising()
    return messaging.follow_up(db.session, by.event, messaging.edit(by, message_id, data))


@bp.route("/events/<event_slug>/messages/<int:message_id>/withdraw", methods=["POST"])
@bp.response(200, MessageSchema)
@bp.alt_response(409, description="The message left or was withdrawn")
def withdraw(event_slug: str, message_id: int) -> FollowUp:
    """Withdraw a message before it leaves."""
    by = organising()
    return messaging.follow_up(db.session, by.event, messaging.withdraw(by, message_id))


@bp.route("/events/<event_slug>/messages/<int:message_id>/retry", methods=["POST"])
@bp.response(202, RetrySchema)
def retry(event_slug: str, message_id: int) -> dict[str, list[int]]:
    """Send again the copies of the message that failed."""
    by = organising()
    failed = messaging.failed_copies(db.session, messaging.find_message(by, message_id))
    return {"queued": messaging.retry_failed(by, failed)}
