"""The delivery log: every email, its status and attempts; failed ones can be sent again."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.notifications import delivery_log, tasks
from services.notifications.schemas import EmailMessageSchema, MessageQueryArgsSchema
from shared.access import AreaKind, current_organiser, organiser_area
from shared.app import ApiBlueprint
from shared.database import db
from shared.models import EmailMessage
from shared.paging import PAGE_HEADERS, paged
from shared.queue import MAIL_QUEUE, send_after_commit

bp = organiser_area(
    ApiBlueprint("messages", __name__, url_prefix="/api/v1", description="Delivery log of emails"),
    AreaKind.API,
)


@bp.route("/messages")
class Messages(MethodView):
    @bp.arguments(MessageQueryArgsSchema, location="query")
    @bp.response(200, EmailMessageSchema(many=True), headers=PAGE_HEADERS)
    def get(self, args: dict[str, Any]) -> tuple[list[EmailMessage], int, dict[str, str]]:
        """Emails of the organiser's events, newest first, a page at a time: filter by status,
        event, recipient; the next page is the ``Link`` header's rel="next"."""
        return paged(delivery_log.messages_page(db.session, current_organiser(), **args))


@bp.route("/messages/<int:message_id>/retry")
class MessageRetry(MethodView):
    @bp.response(202, EmailMessageSchema)
    @bp.alt_response(404, description="No such message among the organiser's events")
    @bp.alt_response(409, description="The message has not failed")
    def post(self, message_id: int) -> EmailMessage:
        """Send a failed email again, with a fresh round of attempts."""
        message = delivery_log.visible_message(db.session, current_organiser(), message_id)
        delivery_log.requeue_failed(db.session, message)
        send_after_commit(db.session, tasks.SEND_MESSAGES_TASK, [[message.id]], queue=MAIL_QUEUE)
        return message
