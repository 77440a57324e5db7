"""What organisers do, as plain functions that flush and never commit. Each change goes
through the shared domain rules and is written to the audit log with who did it.

An action on an event takes an :class:`Organising`: who acts, on which event, in which
database session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from services.registration import audit
from services.registration.lookups import find_date, find_registration, group_of
from services.registration.organiser import places
from services.registration.organiser.roster_lines import attendance_of
from services.registration.participant.schemas import load_answers
from shared.access import current_event, current_organiser, events_run_by
from shared.database import db, utcnow
from shared.domain import (
    certificates,
    copying,
    evaluations,
    participation_report,
    registration_questions,
    roster,
    schedule,
    series,
)
from shared.domain import closing as closing_rules
from shared.domain.attendance import check_presence_allowed, is_held
from shared.domain.capacity import bump_revision
from shared.domain.privacy import anonymise
from shared.domain.registrations import Participant, add_by_hand, cancel
from shared.domain.venues import check_room, group_address, use_venue, venue_for_address
from shared.errors import InvalidRequest, NotFound
from shared.models import (
    Attendance,
    AuditEntry,
    Certificate,
    EvaluationQuestion,
    Event,
    Group,
    Organiser,
    Registration,
    RegistrationQuestion,
    RegistrationStatus,
    SessionDate,
)
from shared.paging import Keyset, Page, page_of
from shared.slugs import slugify

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
    "confirmation_hours",
    "issuer",
    "signatory_name",
    "signatory_role",
)
# The organiser's events, a page at a time: the latest created first.
NEWEST_EVENTS_FIRST = Keyset((Event.id,), descending=True)


@dataclass(frozen=True)
class Organising:
    """An organiser acting on one of their events."""

    session: Session
    organiser: Organiser
    event: Event

    def record(
        self, action: str, *, registration: Registration | None = None, **details: Any
    ) -> AuditEntry:
        """Write who did what, to this event or one of its registrations, and when."""
        return audit.record(
            self.session,
            self.organiser,
            action,
            event=self.event,
            registration=registration,
            **details,
        )


def organising() -> Organising:
    """The signed-in organiser acting on the event of the request's route."""
    return Organising(db.session, current_organiser(), current_event())


def ids(registrations: list[Registration]) -> list[int]:
    """The ids of registrations, as the audit log lists them."""
    return [r.id for r in registrations]


# --- The roster -------------------------------------------------------------------------


def mark_attendance(
    by: Organising, registration_id: int, date_id: int, present: bool
) -> Attendance:
    """Mark a confirmed participant present or absent on one held date of theirs."""
    registration = find_registration(by.session, by.event, registration_id)
    session_date = find_date(by.event, date_id)
    check_presence_allowed(registration, session_date, now=utcnow(), by_admin=by.organiser.is_admin)
    attendance = attendance_of(by.session, registration, session_date)
    attendance.present = present
    attendance.marked_by_id = by.organiser.id
    attendance.marked_at = utcnow()
    by.record(
        "attendance.marked", registration=registration, date_id=session_date.id, present=present
    )
    closing_rules.follow_late_presence(by.session, registration)
    return attendance


def add_participant_by_hand(by: Organising, group_slug: str, data: dict[str, Any]) -> Registration:
    """Confirm someone who signed the paper form (a walk-in), also once the group started."""
    group = group_of(by.event, group_slug)
    participant = Participant(
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=data["email"],
        role=data["role"],
        # The organiser's own language says nothing of the participant's: the event's does.
        language=data.get("language") or by.event.language,
        phone=data.get("phone"),
        organisation=data.get("organisation"),
        answers=load_answers(by.event, data.get("answers") or {}, data["consented_answers"]),
    )
    addition = add_by_hand(
        by.session,
        by.event,
        group,
        participant,
        date_id=data.get("date"),
        over_capacity=data["over_capacity"],
        notify=data["notify"],
    )
    registration = addition.registration
    by.record(
        "registration.added_by_hand",
        registration=registration,
        group=group.slug,
        date_id=registration.session_date_id,
        over_capacity=addition.beyond_capacity,
        notified=data["notify"],
    )
    return registration


def cancel_registration(by: Organising, registration_id: int) -> Registration:
    """Cancel a participant's registration; the waiting list moves up."""
    registration = find_registration(by.session, by.event, registration_id)
    if registration.status is RegistrationStatus.CANCELLED:
        raise InvalidRequest(_l("Cette inscription est annulée."))
    promoted = cancel(by.session, registration)
    by.record("registration.cancelled", registration=registration, promoted=ids(promoted))
    return registration


def erase_registration(by: Organising, registration_id: int) -> Registration:
    """Erase a participant on their request: the place is freed, the person's details are
    replaced; the anonymous row stays for the counts and presence reports."""
    registration = find_registration(by.session, by.event, registration_id)
    if registration.anonymised_at is not None:
        raise InvalidRequest(_l("Les données de cette personne ont déjà été effacées."))
    promoted = cancel(by.session, registration, tell_participant=False)
    anonymise(registration)
    by.record("registration.erased", registration=registration, promoted=ids(promoted))
    return registration


def promote_registration(by: Organising, registration_id: int) -> Registration:
    """Confirm someone from the waiting list by hand."""
    registration = find_registration(by.session, by.event, registration_id)
    raised = roster.promote(by.session, registration)
    by.record(
        "registration.promoted",
        registration=registration,
        capacity_raised_to=registration.group.capacity if raised else None,
    )
    return registration


def move_registration(by: Organising, registration_id: int, data: dict[str, Any]) -> Registration:
    """Move a participant to another group of the event."""
    registration = find_registration(by.session, by.event, registration_id)
    source = registration.group
    target = group_of(by.event, data["group"])
    promoted = roster.move(by.session, registration, target, date_id=data.get("date"))
    by.record(
        "registration.moved",
        registration=registration,
        from_group=source.slug,
        to_group=target.slug,
        promoted=ids(promoted),
    )
    return registration


def set_capacity(by: Organising, group_slug: str, capacity: int | None) -> Group:
    """Change a group's number of places."""
    group = group_of(by.event, group_slug)
    if group.venue is not None:
        check_room(group.venue, group.room, capacity)
    previous = group.capacity
    promoted = roster.change_capacity(by.session, group, capacity)
    by.record(
        "group.capacity_changed",
        group=group.slug,
        previous=previous,
        capacity=capacity,
        promoted=ids(promoted),
    )
    return group


def close_group(by: Organising, group_slug: str) -> closing_rules.Closing:
    """Close a group after its last date: those who completed it are sent their certificate,
    those present at least once an invitation to evaluate it."""
    group = group_of(by.event, group_slug)
    closing = closing_rules.close_group(by.session, group)
    if not closing.already_closed:
        by.record(
            "group.closed",
            group=group.slug,
            certified=ids(closing.certified),
            invited=ids(closing.invited),
        )
    return closing


def replace_questions(by: Organising, data: dict[str, Any]) -> list[EvaluationQuestion]:
    """Give the event's evaluation these questions, until its first invitations go out."""
    questions = evaluations.replace_questions(by.session, by.event, data["questions"])
    by.record("evaluation.questions_changed", count=len(questions))
    return questions


def replace_registration_questions(
    by: Organising, data: dict[str, Any]
) -> list[RegistrationQuestion]:
    """Give the event's registration form these questions, keeping what answers mean."""
    questions = registration_questions.replace_questions(by.session, by.event, data["questions"])
    by.record("registration.questions_changed", count=len(questions))
    return questions


def revoke_certificate(by: Organising, registration_id: int) -> Certificate:
    """Withdraw a participant's certificate: its code then answers that it is no longer valid."""
    registration = find_registration(by.session, by.event, registration_id)
    certificate = certificates.certificate_of(by.session, registration)
    if certificate is None:
        raise NotFound(_l("Aucune attestation n'a été délivrée à cette personne."))
    if certificate.revoked_at is None:
        certificates.revoke(by.session, certificate, by.organiser)
        by.record("certificate.revoked", registration=registration)
    return certificate


# --- Events, groups, dates and venues ------------------------------------------------------


def my_events(
    session: Session, organiser: Organiser, *, limit: int, cursor: tuple | None
) -> Page[Event]:
    """A page of the events the organiser runs (every event for an admin), newest first."""
    query = events_run_by(organiser).options(selectinload(Event.groups))
    return page_of(session, query, NEWEST_EVENTS_FIRST, limit=limit, cursor=cursor)


def create_event(session: Session, organiser: Organiser, data: dict[str, Any]) -> Event:
    """Create an event run by its creator."""
    copying.refuse_taken_slug(session, data["slug"])
    event = Event(slug=data["slug"], **{k: data[k] for k in EVENT_FIELDS if k in data})
    event.organisers.append(organiser)
    session.add(event)
    session.flush()
    Organising(session, organiser, event).record("event.created", slug=event.slug)
    return event


def update_event(by: Organising, data: dict[str, Any]) -> Event:
    """Change an event's texts, kind, language or registration window."""
    event = by.event
    changed = sorted(k for k in EVENT_FIELDS if k in data and getattr(event, k) != data[k])
    for key in changed:
        setattr(event, key, data[key])
    if changed:
        event.revision += 1
        # In id order, as every other lock of several groups: two writers never wait on
        # each other's locks.
        for group in sorted(event.groups, key=lambda g: g.id):
            bump_revision(by.session, group)
        by.record("event.updated", fields=changed)
    return event


def create_group(by: Organising, data: dict[str, Any]) -> Group:
    """Add a group (a venue and its dates) to an event."""
    event = by.event
    slug = data.get("slug") or slugify(data["name"])
    if any(g.slug == slug for g in event.groups):
        raise InvalidRequest(errors={"slug": [_l("Cet identifiant est déjà pris.")]})
    venue = (
        places.find_venue(by.session, data["venue"])
        if "venue" in data
        else venue_for_address(by.session, data)
    )
    room = places.find_room(venue, data["room"]) if data.get("room") else None
    check_room(venue, room, data.get("capacity"))
    group = Group(
        event=event,
        slug=slug,
        name=data["name"],
        position=data.get("position", len(event.groups)),
        **group_address(venue),
        venue=venue,
        room=room,
        capacity=data.get("capacity"),
        dates=[SessionDate(starts_at=d["start"], ends_at=d["end"]) for d in data.get("dates", [])],
    )
    for session_date in group.dates:
        schedule.check_times(session_date.starts_at, session_date.ends_at)
    by.session.add(group)
    by.session.flush()
    # Its trainers are told of its dates, as of any date they gain.
    trainers = [places.find_trainer(by.session, i) for i in data.get("trainers", [])]
    schedule.change_trainers(by.session, group, trainers)
    schedule.refuse_clashes(
        by.session,
        group,
        [(d.starts_at, d.ends_at) for d in group.dates],
        ignore=[d.id for d in group.dates],
    )
    by.record("group.created", group=group.slug)
    return group


def update_group(by: Organising, group: Group, data: dict[str, Any]) -> Group:
    """Rename or reorder a group, or give it a new venue (participants are told)."""
    renamed = {k: data[k] for k in ("name", "position") if k in data}
    for key, value in renamed.items():
        setattr(group, key, value)
    moved = _move_group(by, group, data)
    if "trainers" in data:
        trainers = [places.find_trainer(by.session, i) for i in data["trainers"]]
        schedule.change_trainers(by.session, group, trainers)
        renamed["trainers"] = data["trainers"]
    if {"venue", "room", "trainers"} & set(data) or moved:
        # Its dates now meet in another room, town or with other trainers: they must fit.
        held = [d for d in group.dates if is_held(d)]
        schedule.refuse_clashes(
            by.session,
            group,
            [(d.starts_at, d.ends_at) for d in held],
            ignore=[d.id for d in group.dates],
        )
    if renamed and not moved:
        bump_revision(by.session, group)
    by.record("group.updated", group=group.slug, fields=sorted(renamed), venue_changed=moved)
    return group


# What says where a group meets; its town's slug follows from its town.
_ADDRESS_FIELDS = ("venue_name", "street_address", "postcode", "town", "latitude", "longitude")


def _move_group(by: Organising, group: Group, data: dict[str, Any]) -> bool:
    """Have a group meet at the venue (and room) ``data`` names, or at the venue of the
    address it gives; returns whether its address changed."""
    address = {k: data[k] for k in schedule.VENUE_FIELDS if k in data}
    if "venue" in data:
        venue = places.find_venue(by.session, data["venue"])
    elif address:
        venue = venue_for_address(
            by.session, {k: getattr(group, k) for k in _ADDRESS_FIELDS} | address
        )
    elif "room" in data and group.venue is not None:
        venue = group.venue
    else:
        return False
    room = places.find_room(venue, data["room"]) if data.get("room") else None
    if "room" not in data and venue is group.venue:
        room = group.room
    return use_venue(by.session, group, venue, room)


def copy_event(by: Organising, data: dict[str, Any]) -> dict[str, Any]:
    """Copy the event to a new slug as a draft, every held date moved by the same days; with
    ``preview``, only say which groups, dates and clashes the copy would bring."""
    plan = copying.plan_copy(
        by.session, by.event, data["slug"], weeks=data.get("weeks"), first_day=data.get("first_day")
    )
    result: dict[str, Any] = {
        "preview": data["preview"],
        "slug": plan.slug,
        "days": plan.days,
        "groups": plan.groups,
        "clashes": [c.described() for c in plan.clashes],
        "published": False,
    }
    if data["preview"]:
        return result
    copy = copying.copy_event(by.session, plan, by.organiser, force=data["force"])
    by.record(
        "event.copied",
        to=copy.slug,
        days=plan.days,
        forced=result["clashes"] if data["force"] else [],
    )
    Organising(by.session, by.organiser, copy).record(
        "event.created", slug=copy.slug, copied_from=by.event.slug
    )
    return result


def publish_event(by: Organising) -> Event:
    """Make a draft event public, journaled; publishing a published event changes nothing."""
    event = by.event
    if not event.published:
        event.published = True
        schedule.announce_to_trainers(by.session, event)
        by.record("event.published")
    return event


def cancel_group(by: Organising, group: Group) -> Group:
    """Call off a group; its participants are told."""
    if schedule.cancel_group(by.session, group):
        by.record("group.cancelled", group=group.slug)
    return group


def add_date(
    by: Organising, group: Group, starts_at: datetime, ends_at: datetime, *, force: bool = False
) -> SessionDate:
    """Add a date to a group; one that clashes only with ``force``, journaled."""
    session_date = schedule.add_date(by.session, group, starts_at, ends_at, force=force)
    by.record(
        "date.added",
        group=group.slug,
        date_id=session_date.id,
        start=starts_at.isoformat(),
        **_overridden(by, session_date, force),
    )
    return session_date


def reschedule_date(
    by: Organising, date_id: int, starts_at: datetime, ends_at: datetime, *, force: bool = False
) -> SessionDate:
    """Change a date's times; participants are told. A clash only with ``force``, journaled."""
    session_date = find_date(by.event, date_id)
    old_start = session_date.starts_at.isoformat()
    if schedule.change_date_time(by.session, session_date, starts_at, ends_at, force=force):
        by.record(
            "date.rescheduled",
            date_id=date_id,
            old_start=old_start,
            start=starts_at.isoformat(),
            **_overridden(by, session_date, force),
        )
    return session_date


def add_series(by: Organising, group: Group, data: dict[str, Any]) -> dict[str, Any]:
    """Add a group's recurring dates from a weekly rule, Belgian public holidays skipped;
    with ``preview``, only say which dates, holidays and clashes it would bring."""
    rule = series.WeeklyRule(**{k: data[k] for k in SERIES_RULE_FIELDS if k in data})
    expanded = series.expand(rule)
    result: dict[str, Any] = {
        "preview": data["preview"],
        "dates": [{"start": start, "end": end} for start, end in expanded.slots],
        "holidays": [{"day": day, "name": str(name)} for day, name in expanded.holidays],
        "clashes": [c.described() for c in schedule.clashes(by.session, group, expanded.slots)],
        "added": [],
    }
    if data["preview"]:
        return result
    result["added"] = schedule.add_dates(by.session, group, expanded.slots, force=data["force"])
    by.record(
        "dates.series_added",
        group=group.slug,
        count=len(result["added"]),
        start=expanded.slots[0][0].isoformat(),
        forced=result["clashes"] if data["force"] else [],
    )
    return result


SERIES_RULE_FIELDS = (
    "weekdays",
    "first_day",
    "start_time",
    "end_time",
    "every_weeks",
    "until",
    "count",
    "exceptions",
    "skip_holidays",
)


def _overridden(by: Organising, session_date: SessionDate, force: bool) -> dict[str, Any]:
    """What a forced booking clashes with, for the journal: each clash's kind and date."""
    if not force:
        return {}
    found = schedule.clashes(
        by.session,
        session_date.group,
        [(session_date.starts_at, session_date.ends_at)],
        ignore=[session_date.id],
    )
    return {"forced": [f"{c.kind} {c.other_date_id or ''}".strip() for c in found]}


def shift_groups(
    by: Organising, groups: list[Group], days: int, *, force: bool = False
) -> list[Group]:
    """Move every held date of some of the event's groups by whole days; each participant
    gets one email."""
    for group in schedule.shift_groups(by.session, groups, days, force=force):
        by.record("group.shifted", group=group.slug, days=days, forced=force)
    return groups


def delete_mistaken_date(by: Organising, date_id: int) -> Group:
    """Delete a date typed by mistake, while nobody may have been told of it."""
    session_date = find_date(by.event, date_id)
    group = session_date.group
    start = session_date.starts_at.isoformat()
    schedule.delete_mistaken_date(by.session, session_date)
    by.record("date.deleted", group=group.slug, date_id=date_id, start=start)
    return group


def record_headcount(by: Organising, date_id: int, people: int) -> SessionDate:
    """Record how many people came to a held drop-in date."""
    session_date = find_date(by.event, date_id)
    participation_report.record_headcount(by.event, session_date, people, now=utcnow())
    by.record("date.headcount", date_id=date_id, people=people)
    return session_date


def cancel_date(by: Organising, date_id: int) -> SessionDate:
    """Call off one date; participants are told."""
    session_date = find_date(by.event, date_id)
    if schedule.cancel_date(by.session, session_date):
        by.record("date.cancelled", date_id=date_id)
    return session_date
