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
from shared.queue import MAIL_QUEUE, send_after_commit

bp = organiser_area(
    ApiBlueprint("messages", __name__, url_prefix="/api/v1", description="Delivery log of emails"),
    AreaKind.API,
)


@bp.route("/messages")
class Messages(MethodView):
    @bp.arguments(MessageQueryArgsSchema, location="query")
    @bp.response(200, EmailMessageSchema(many=True))
    @bp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[EmailMessage]:
        """Emails of the organiser's events, newest first: filter by status, event, recipient."""
        messages, total = delivery_log.page_of(
            db.session,
            delivery_log.visible_messages(current_organiser(), **args),
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return messages


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
