"""What organisers do, as plain functions that flush and never commit. Each change goes
through the shared domain rules and is written to the audit log with who did it."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.organiser.roster import attendance_of
from services.registration.participant.operations import group_of
from shared.database import utcnow
from shared.domain import roster, schedule
from shared.domain.attendance import check_presence_allowed
from shared.domain.capacity import bump_revision
from shared.domain.privacy import anonymise
from shared.domain.registrations import cancel
from shared.errors import InvalidRequest, NotFound
from shared.models import (
    Attendance,
    AuditEntry,
    Event,
    Group,
    Organiser,
    Registration,
    RegistrationStatus,
    SessionDate,
)

EVENT_FIELDS = (
    "title",
    "description",
    "prerequisites",
    "kind",
    "attendance_rule",
    "language",
    "registration_opens_at",
    "registration_closes_at",
    "organiser_contact",
    "price",
)


def record(
    session: Session,
    organiser: Organiser,
    action: str,
    event: Event,
    *,
    registration: Registration | None = None,
    **details: Any,
) -> AuditEntry:
    """Write who did what, to which event or registration, and when."""
    entry = AuditEntry(
        organiser_id=organiser.id,
        action=action,
        event_id=event.id,
        registration_id=registration.id if registration else None,
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry


def slugify(text: str) -> str:
    """A lowercase ASCII slug: "Court-Saint-Étienne" -> "court-saint-etienne"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def find_registration(session: Session, event: Event, registration_id: int) -> Registration:
    """A registration of this event, or 404 (one of another event is not found)."""
    registration = session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound()
    return registration


def find_date(event: Event, date_id: int) -> SessionDate:
    """A date of one of the event's groups, or 404."""
    for group in event.groups:
        for session_date in group.dates:
            if session_date.id == date_id:
                return session_date
    raise NotFound()


# --- The roster -------------------------------------------------------------------------


def mark_attendance(
    session: Session,
    organiser: Organiser,
    event: Event,
    registration_id: int,
    date_id: int,
    present: bool,
) -> Attendance:
    """Mark a confirmed participant present or absent on one held date of theirs."""
    registration = find_registration(session, event, registration_id)
    session_date = find_date(event, date_id)
    check_presence_allowed(registration, session_date)
    attendance = attendance_of(session, registration, session_date)
    attendance.present = present
    attendance.marked_by_id = organiser.id
    attendance.marked_at = utcnow()
    session.flush()
    record(
        session,
        organiser,
        "attendance.marked",
        event,
        registration=registration,
        date_id=session_date.id,
        present=present,
    )
    return attendance


def cancel_registration(
    session: Session, organiser: Organiser, event: Event, registration_id: int
) -> Registration:
    """Cancel a participant's registration; the waiting list moves up."""
    registration = find_registration(session, event, registration_id)
    if registration.status is RegistrationStatus.CANCELLED:
        raise InvalidRequest(_l("Cette inscription est annulée."))
    promoted = cancel(session, registration)
    record(
        session,
        organiser,
        "registration.cancelled",
        event,
        registration=registration,
        promoted=[r.id for r in promoted],
    )
    return registration


def erase_registration(
    session: Session, organiser: Organiser, event: Event, registration_id: int
) -> Registration:
    """Erase a participant on their request: the place is freed, the person's details are
    replaced; the anonymous row stays for the counts and presence reports."""
    registration = find_registration(session, event, registration_id)
    if registration.anonymised_at is not None:
        raise InvalidRequest(_l("Les données de cette personne ont déjà été effacées."))
    promoted = cancel(session, registration, tell_participant=False)
    anonymise(registration)
    session.flush()
    record(
        session,
        organiser,
        "registration.erased",
        event,
        registration=registration,
        promoted=[r.id for r in promoted],
    )
    return registration


def promote_registration(
    session: Session, organiser: Organiser, event: Event, registration_id: int
) -> Registration:
    """Confirm someone from the waiting list by hand."""
    registration = find_registration(session, event, registration_id)
    capacity_raised = roster.promote(session, registration)
    record(
        session,
        organiser,
        "registration.promoted",
        event,
        registration=registration,
        capacity_raised_to=registration.group.capacity if capacity_raised else None,
    )
    return registration


def move_registration(
    session: Session,
    organiser: Organiser,
    event: Event,
    registration_id: int,
    data: dict[str, Any],
) -> Registration:
    """Move a participant to another group of the event."""
    registration = find_registration(session, event, registration_id)
    source = registration.group
    target = group_of(event, data["group"])
    promoted = roster.move(session, registration, target, date_id=data.get("date"))
    record(
        session,
        organiser,
        "registration.moved",
        event,
        registration=registration,
        from_group=source.slug,
        to_group=target.slug,
        promoted=[r.id for r in promoted],
    )
    return registration


def set_capacity(
    session: Session,
    organiser: Organiser,
    event: Event,
    group_slug: str,
    capacity: int | None,
) -> Group:
    """Change a group's number of places."""
    group = group_of(event, group_slug)
    previous = group.capacity
    promoted = roster.change_capacity(session, group, capacity)
    record(
        session,
        organiser,
        "group.capacity_changed",
        event,
        group=group.slug,
        previous=previous,
        capacity=capacity,
        promoted=[r.id for r in promoted],
    )
    return group


# --- Events, groups, dates and venues ------------------------------------------------------


def create_event(session: Session, organiser: Organiser, data: dict[str, Any]) -> Event:
    """Create an event run by its creator."""
    if session.scalar(select(Event.id).where(Event.slug == data["slug"])) is not None:
        raise InvalidRequest(errors={"slug": [_l("Cet identifiant est déjà pris.")]})
    event = Event(slug=data["slug"], **{k: data[k] for k in EVENT_FIELDS if k in data})
    event.organisers.append(organiser)
    session.add(event)
    session.flush()
    record(session, organiser, "event.created", event, slug=event.slug)
    return event


def update_event(
    session: Session, organiser: Organiser, event: Event, data: dict[str, Any]
) -> Event:
    """Change an event's texts, kind, language or registration window."""
    changed = sorted(k for k in EVENT_FIELDS if k in data and getattr(event, k) != data[k])
    for key in changed:
        setattr(event, key, data[key])
    if changed:
        event.revision += 1
        for group in event.groups:
            bump_revision(session, group)
        session.flush()
        record(session, organiser, "event.updated", event, fields=changed)
    return event


def create_group(
    session: Session, organiser: Organiser, event: Event, data: dict[str, Any]
) -> Group:
    """Add a group (a venue and its dates) to an event."""
    slug = data.get("slug") or slugify(data["name"])
    if any(g.slug == slug for g in event.groups):
        raise InvalidRequest(errors={"slug": [_l("Cet identifiant est déjà pris.")]})
    group = Group(
        event=event,
        slug=slug,
        name=data["name"],
        position=data.get("position", len(event.groups)),
        venue_name=data["venue_name"],
        street_address=data["street_address"],
        postcode=data["postcode"],
        town=data["town"],
        town_slug=data.get("town_slug") or slugify(data["town"]),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        capacity=data.get("capacity"),
        dates=[SessionDate(starts_at=d["start"], ends_at=d["end"]) for d in data.get("dates", [])],
    )
    for session_date in group.dates:
        schedule.check_times(session_date.starts_at, session_date.ends_at)
    session.add(group)
    session.flush()
    record(session, organiser, "group.created", event, group=group.slug)
    return group


def update_group(
    session: Session, organiser: Organiser, event: Event, group: Group, data: dict[str, Any]
) -> Group:
    """Rename or reorder a group, or give it a new venue (participants are told)."""
    renamed = {k: data[k] for k in ("name", "position") if k in data}
    for key, value in renamed.items():
        setattr(group, key, value)
    venue = {k: data[k] for k in schedule.VENUE_FIELDS if k in data}
    if "town" in venue:
        group.town_slug = slugify(venue["town"])
    moved = schedule.change_venue(session, group, **venue)
    if renamed and not moved:
        bump_revision(session, group)
    session.flush()
    record(
        session,
        organiser,
        "group.updated",
        event,
        group=group.slug,
        fields=sorted(renamed),
        venue_changed=moved,
    )
    return group


def cancel_group(session: Session, organiser: Organiser, event: Event, group: Group) -> Group:
    """Call off a group; its participants are told."""
    if schedule.cancel_group(session, group):
        record(session, organiser, "group.cancelled", event, group=group.slug)
    return group


def add_date(
    session: Session,
    organiser: Organiser,
    event: Event,
    group: Group,
    starts_at: datetime,
    ends_at: datetime,
) -> SessionDate:
    """Add a date to a group."""
    session_date = schedule.add_date(session, group, starts_at, ends_at)
    record(
        session,
        organiser,
        "date.added",
        event,
        group=group.slug,
        date_id=session_date.id,
        start=starts_at.isoformat(),
    )
    return session_date


def reschedule_date(
    session: Session,
    organiser: Organiser,
    event: Event,
    date_id: int,
    starts_at: datetime,
    ends_at: datetime,
) -> SessionDate:
    """Change a date's times; participants are told."""
    session_date = find_date(event, date_id)
    old_start = session_date.starts_at.isoformat()
    if schedule.change_date_time(session, session_date, starts_at, ends_at):
        record(
            session,
            organiser,
            "date.rescheduled",
            event,
            date_id=date_id,
            old_start=old_start,
            start=starts_at.isoformat(),
        )
    return session_date


def cancel_date(session: Session, organiser: Organiser, event: Event, date_id: int) -> SessionDate:
    """Call off one date; participants are told."""
    session_date = find_date(event, date_id)
    if schedule.cancel_date(session, session_date):
        record(session, organiser, "date.cancelled", event, date_id=date_id)
    return session_date
