"""The delivery log as organisers see it: only their events' messages, unless admin."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.notifications import operations
from shared.errors import DomainError, NotFound
from shared.models import DeliveryStatus, EmailMessage, Event, Organiser, event_organisers
from shared.paging import Keyset, Page, page_of

NEWEST_FIRST = Keyset((EmailMessage.id,), descending=True)


class NotFailed(DomainError):
    code = "not_failed"
    default_message = _l("Seul un message en échec peut être renvoyé.")


def visible_messages(
    organiser: Organiser,
    *,
    status: DeliveryStatus | None = None,
    event: str | None = None,
    recipient: str | None = None,
) -> Select[tuple[EmailMessage]]:
    """The query of the messages this organiser may see, filtered."""
    query = select(EmailMessage)
    if not organiser.is_admin:
        organised = select(event_organisers.c.event_id).where(
            event_organisers.c.organiser_id == organiser.id
        )
        query = query.where(EmailMessage.event_id.in_(organised))
    if status is not None:
        query = query.where(EmailMessage.status == status)
    if event is not None:
        query = query.where(EmailMessage.event_id.in_(select(Event.id).where(Event.slug == event)))
    if recipient is not None:
        query = query.where(func.lower(EmailMessage.recipient) == recipient.strip().lower())
    return query


def messages_page(
    session: Session, organiser: Organiser, *, limit: int, cursor: tuple | None, **filters: Any
) -> Page[EmailMessage]:
    """A page of the messages this organiser may see, newest first, filtered."""
    query = visible_messages(organiser, **filters)
    return page_of(session, query, NEWEST_FIRST, limit=limit, cursor=cursor)


def visible_message(session: Session, organiser: Organiser, message_id: int) -> EmailMessage:
    """One message this organiser may see, or 404."""
    message = session.scalar(visible_messages(organiser).where(EmailMessage.id == message_id))
    if message is None:
        raise NotFound()
    return message


def requeue_failed(session: Session, message: EmailMessage) -> EmailMessage:
    """Queue a failed message again for a fresh round of attempts; 409 unless it failed."""
    if not operations.requeue_failed(session, [message.id]):
        raise NotFailed()
    session.refresh(message)
    return message
