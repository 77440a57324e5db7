"""The registration service's use cases: they flush; the app commits once per request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from services.registration.audit import record
from services.registration.lookups import WITH_GROUPS, find_group, get_event
from services.registration.participant.schemas import load_answers
from shared.database import utcnow
from shared.domain import certificates, checkin, listing
from shared.domain import registrations as rules
from shared.domain.confirmation import Receipt
from shared.errors import InvalidRequest
from shared.i18n import current_language
from shared.models import Certificate, EmailKind, Event, Registration
from shared.outbox import queue_email
from shared.paging import MAX_LIMIT, Page, page_of

# How long after its dates an event is still offered on the manage link form.
RECENT_PAST = timedelta(days=365)


def events_page(
    session: Session,
    filters: listing.Filters,
    *,
    upcoming: bool = True,
    limit: int,
    cursor: tuple | None = None,
    now: datetime | None = None,
) -> Page[Event]:
    """A page of events with their groups and dates: coming ones soonest first, or every
    one by its first date."""
    # One more than asked: page_of reads it to tell whether another page follows.
    reach = {"after": cursor, "size": limit + 1}
    if upcoming:
        query, keyset = listing.coming_events(filters, now or utcnow(), **reach)
    else:
        query, keyset = listing.all_events(filters, **reach)
    query = query.options(WITH_GROUPS)
    return page_of(session, query, keyset, limit=limit, cursor=cursor)


def recent_events(session: Session, now: datetime | None = None) -> list[Event]:
    """The events with a date since a year ago, by first date: those whose participants may
    still want their manage link (a certificate is asked for after the training)."""
    since = (now or utcnow()) - RECENT_PAST
    page = events_page(session, listing.Filters(starts_from=since), upcoming=False, limit=MAX_LIMIT)
    return page.items


def archive_page(
    session: Session, year: int, *, limit: int, cursor: tuple | None, now: datetime | None = None
) -> Page[Event]:
    """A page of the events over in ``year``, latest first, with their groups and dates."""
    query, keyset = listing.past_events(year, now or utcnow())
    return page_of(session, query.options(WITH_GROUPS), keyset, limit=limit, cursor=cursor)


def register_participant(
    session: Session, event_slug: str, data: dict[str, Any]
) -> Registration | Receipt:
    """Register from validated API or form data; a receipt where the event asks for
    confirmation by email (see ``shared.domain.confirmation``)."""
    group = find_group(session, event_slug, data["group"])
    answers = load_answers(group.event, data.get("answers") or {}, data["consented_answers"])
    participant = rules.Participant(
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=data["email"],
        role=data["role"],
        language=data.get("language") or current_language(),
        phone=data.get("phone"),
        organisation=data.get("organisation"),
        answers=answers,
    )
    return rules.register_or_acknowledge(
        session,
        group.event,
        group,
        participant,
        commit_all_dates=data["commit_all_dates"],
        date_id=data.get("date"),
    )


def cancel_by_token(session: Session, manage_token: str) -> Registration:
    """Cancel the registration the manage token opens (again is a no-op)."""
    registration = rules.registration_by_token(session, manage_token)
    rules.cancel(session, registration, by_participant=True)
    return registration


def replace_links(session: Session, manage_token: str) -> Registration:
    """Replace the participant's manage and calendar links at their request, for a link seen
    by someone else: the old ones answer 410 from now, the new manage link goes by email."""
    registration = rules.registration_by_token(session, manage_token)
    rules.reissue_token(session, registration, kind="manage")
    rules.reissue_token(session, registration, kind="calendar")
    record(
        session,
        None,
        "registration.links_replaced",
        event=registration.event,
        registration=registration,
    )
    queue_email(session, EmailKind.MANAGE_LINK, registration=registration)
    return registration


def renew_checkin_code(session: Session, manage_token: str) -> Registration:
    """Give the participant a new check-in code, for one someone else may have copied: the
    previous one answers at the door that it was replaced."""
    registration = rules.registration_by_token(session, manage_token)
    if not checkin.shows_code(registration):
        raise InvalidRequest(_l("Seule une inscription confirmée a un code de présence."))
    checkin.renew_code(registration)
    record(
        session,
        None,
        "registration.checkin_code_renewed",
        event=registration.event,
        registration=registration,
    )
    return registration


def send_manage_link(session: Session, event_slug: str, email: str) -> None:
    """Email the manage link of the address's active registration for the event, if any.

    The caller answers the same way either way, so nobody learns whether an address is
    registered.
    """
    event = get_event(session, event_slug)
    registration = rules.find_active_registration(session, event, email)
    if registration is not None:
        queue_email(session, EmailKind.MANAGE_LINK, registration=registration)


def certificate_by_token(session: Session, manage_token: str) -> Certificate:
    """The certificate of the registration this manage token opens, issued on first request
    once its training is completed."""
    return certificates.issue(session, rules.registration_by_token(session, manage_token))
