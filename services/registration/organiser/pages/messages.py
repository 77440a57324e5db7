"""Organiser pages to write to an event's participants: compose with a preview first, follow
each message (scheduled, sending, sent, failed: who, with retry), edit or withdraw it before
it leaves; and the event's delivery log, every email its participants were sent, with retry
of failed ones."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from services.registration.area import (
    Page,
    apply,
    load_form,
    local_input,
    page_args,
    pages_blueprint,
)
from services.registration.organiser import messaging
from services.registration.organiser.actions import organising
from services.registration.organiser.schemas.messages import (
    DeliveriesArgsSchema,
    MessageInputSchema,
)
from shared.access import current_event
from shared.database import db
from shared.domain.organiser_messages import PLACEHOLDERS
from shared.errors import DomainError
from shared.i18n import LANGUAGES
from shared.models import OrganiserMessage
from shared.paging import next_url

bp = pages_blueprint("message_pages", __name__)


@bp.get("/events/<event_slug>/messages")
def messages(event_slug: str) -> str:
    """The event's messages, newest first, each with where it stands."""
    event = current_event()
    return render_template(
        "organiser/messages.html", event=event, follow_ups=messaging.messages_of(db.session, event)
    )


@bp.get("/events/<event_slug>/messages/new")
def new_message(event_slug: str) -> Page:
    """An empty message form: the whole event, confirmed and waiting, sent now."""
    values = MultiDict({"statuses": "confirmed", "send": "now"})
    values.add("statuses", "waitlisted")
    return _form(values)


@bp.post("/events/<event_slug>/messages/new")
def compose(event_slug: str) -> Response | Page:
    """Preview the message (nothing is written), or send or schedule it."""
    return _submit(None)


@bp.get("/events/<event_slug>/messages/<int:message_id>")
def message(event_slug: str, message_id: int) -> str:
    """Where a message stands, with its failed copies and what may still be done."""
    by = organising()
    follow_up = messaging.follow_up(db.session, by.event, messaging.find_message(by, message_id))
    return render_template("organiser/message.html", event=by.event, follow_up=follow_up)


@bp.get("/events/<event_slug>/messages/<int:message_id>/edit")
def edit_message(event_slug: str, message_id: int) -> Page:
    """The form of a message still waiting for its moment, filled in."""
    message = messaging.find_message(organising(), message_id)
    return _form(_values_of(message), message=message)


@bp.post("/events/<event_slug>/messages/<int:message_id>/edit")
def edit(event_slug: str, message_id: int) -> Response | Page:
    """Preview the changed message, or save it."""
    return _submit(messaging.find_message(organising(), message_id))


@bp.post("/events/<event_slug>/messages/<int:message_id>/withdraw")
def withdraw(event_slug: str, message_id: int) -> Response | Page:
    """Withdraw a message before it leaves."""
    return apply(
        lambda: messaging.withdraw(organising(), message_id),
        done=_("Le message est retiré : il ne partira pas."),
        then=lambda message: _follow_up_url(message),
        on_refusal=lambda refusal: _refusal(refusal),
    )


@bp.post("/events/<event_slug>/messages/<int:message_id>/retry")
def retry(event_slug: str, message_id: int) -> Response | Page:
    """Send again the copies of the message that failed."""
    by = organising()
    message = messaging.find_message(by, message_id)
    return apply(
        lambda: messaging.retry_failed(by, messaging.failed_copies(db.session, message)),
        done=_("Les envois en échec repartent."),
        then=_follow_up_url(message),
        on_refusal=lambda refusal: _refusal(refusal),
    )


@bp.get("/events/<event_slug>/deliveries")
def deliveries(event_slug: str) -> str:
    """A page of every email the event's participants were sent, newest first."""
    event = current_event()
    page = messaging.delivery_log(db.session, event, **page_args(DeliveriesArgsSchema()))
    return render_template(
        "organiser/deliveries.html", event=event, rows=page.items, more=next_url(page)
    )


@bp.post("/events/<event_slug>/deliveries/<int:copy_id>/retry")
def retry_delivery(event_slug: str, copy_id: int) -> Response | Page:
    """Send one failed email of the event again."""
    return apply(
        lambda: messaging.retry_failed(organising(), [copy_id]),
        done=_("L'envoi en échec repart."),
        then=url_for(".deliveries", event_slug=event_slug),
        on_refusal=lambda refusal: _refusal(refusal),
    )


def _submit(message: OrganiserMessage | None) -> Response | Page:
    by = organising()
    try:
        data = load_form(MessageInputSchema())
        if request.form.get("action") == "preview":
            return _form(request.form, message=message, preview=messaging.preview(by, data))
    except DomainError as refusal:
        db.session.rollback()
        return _form(request.form, refusal, message=message)

    def change() -> OrganiserMessage:
        if message is not None:
            return messaging.edit(by, message.id, data)
        return messaging.compose(by, data)

    return apply(
        change,
        done=_("Le message est enregistré."),
        then=_follow_up_url,
        on_refusal=lambda refusal: _form(request.form, refusal, message=message),
    )


def _form(
    values: Any,
    refusal: DomainError | None = None,
    *,
    message: OrganiserMessage | None = None,
    preview: Any = None,
) -> Page:
    event = current_event()
    return render_template(
        "organiser/message_form.html",
        event=event,
        message=message,
        values=values,
        refusal=refusal,
        errors=_page_errors(refusal.errors if refusal else {}),
        preview=preview,
        languages=LANGUAGES,
        placeholders=PLACEHOLDERS,
        dates=[(d, g) for g in event.groups for d in g.dates],
    ), refusal.status if refusal else 200


def _page_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    """The API's field errors as the form's inputs are named: ``subject_en``…"""
    flat: dict[str, list[str]] = {}
    for name, messages in errors.items():
        for entry in messages:
            if isinstance(entry, dict):  # by language
                for language, texts in entry.items():
                    flat.setdefault(f"{name}_{language}", []).extend(map(str, texts))
            else:
                flat.setdefault(name, []).append(str(entry))
    return flat


def _values_of(message: OrganiserMessage) -> MultiDict[str, Any]:
    """A stored message as its form shows it."""
    event = current_event()
    slugs = {group.id: group.slug for group in event.groups}
    audience = message.audience
    values: MultiDict[str, Any] = MultiDict()
    for group_id in audience.get("groups") or []:
        values.add("groups", slugs.get(group_id, ""))
    for status in audience.get("statuses") or []:
        values.add("statuses", status)
    for name in ("present_on", "absent_from"):
        values[name] = audience.get(name) or ""
    values["source"] = audience.get("source", "any")
    for language, text in (message.texts or {}).items():
        values[f"subject_{language}"] = text.get("subject", "")
        values[f"body_{language}"] = text.get("body", "")
    values["send"] = message.send_mode.value
    values["send_at"] = local_input(message.send_at)
    values["offset_anchor"] = message.offset_anchor or "first"
    values["offset_days"] = "" if message.offset_days is None else message.offset_days
    values["offset_time"] = message.offset_time or ""
    return values


def _follow_up_url(message: OrganiserMessage) -> str:
    return url_for(".message", event_slug=current_event().slug, message_id=message.id)


def _refusal(refusal: DomainError) -> Page:
    return render_template("area/refusal.html", refusal=refusal), refusal.status
