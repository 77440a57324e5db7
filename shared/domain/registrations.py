"""Registering, cancelling and looking up registrations: the two-date rule, the window,
one active registration per person and event, the waiting list, and participants an organiser
adds by hand from a signed paper form."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from shared.database import RETRY_AFTER_S, transaction_list, utcnow
from shared.domain.admissions import Arrival, Outcome, batches, end_all
from shared.domain.attendance import choose_date, has_begun, has_started, held_dates
from shared.domain.capacity import (
    admit,
    awaits_confirmation,
    close_waitlist_gaps,
    confirm,
    confirmed_count,
    lock_group,
    places_left,
    promote_waitlisted,
)
from shared.domain.confirmation import Receipt, ask_confirmation
from shared.domain.registration_questions import record_answers
from shared.errors import (
    AlreadyRegistered,
    Busy,
    CancellationClosed,
    CapacityConflict,
    Gone,
    InvalidRequest,
    NotFound,
    RegistrationClosed,
)
from shared.i18n import format_day
from shared.models import (
    AttendanceRule,
    EmailKind,
    Event,
    Group,
    Registration,
    RegistrationStatus,
    RevokedToken,
    Role,
    SessionDate,
)
from shared.models.registrations import ACTIVE_STATUSES
from shared.outbox import Email, queue_email, queue_emails
from shared.tokens import digest, registration_id_of, require_current

CONSENT_VERSION = "2026-11"
# Consent given by signing the paper form is told apart from consent given online: the signed
# sheet, not the website's checkbox, is the proof, and the version says which text it carried.
PAPER_CONSENT_VERSION = f"paper-{CONSENT_VERSION}"
_REGISTRATIONS = Registration.__table__
_INSERT_REGISTRATIONS = insert(_REGISTRATIONS).returning(
    _REGISTRATIONS.c.id, sort_by_parameter_order=True
)
_WRITTEN = "registrations_written"
_BATCHED = "registrations_batched"
_WRITTEN_COLUMNS = [column for column in _REGISTRATIONS.columns if column.key != "id"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Participant:
    """What a person tells about themselves when registering."""

    first_name: str
    last_name: str
    email: str
    role: Role
    language: str
    phone: str | None = None
    organisation: str | None = None
    # Answers to the event's registration questions, by question id, already validated.
    answers: Mapping[int, Any] = field(default_factory=dict)


def normalise_email(email: str) -> str:
    """The form under which two spellings of one address compare equal."""
    return email.strip().lower()


def check_takes_registrations(event: Event, group: Group) -> None:
    """Refuse with 409 an event that takes no registrations, or a group called off or closed."""
    if event.attendance_rule is AttendanceRule.NO_REGISTRATION:
        raise RegistrationClosed(
            _l("Cet événement est libre d'accès : aucune inscription n'est nécessaire.")
        )
    if group.is_cancelled:
        raise RegistrationClosed(_l("Ce groupe a été annulé."))
    if group.closed_at is not None:
        raise RegistrationClosed(_l("Ce groupe est clôturé."))


def check_registration_window(event: Event, group: Group, now: datetime) -> None:
    """Refuse with 409 unless registration is open for this group at ``now``."""
    check_takes_registrations(event, group)
    if event.registration_opens_at and now < event.registration_opens_at:
        raise RegistrationClosed(
            _l("Les inscriptions ouvrent le %(when)s.", when=_LazyDate(event.registration_opens_at))
        )
    if event.registration_closes_at and now >= event.registration_closes_at:
        raise RegistrationClosed(_l("Les inscriptions sont clôturées."))
    if has_started(group, now):
        raise RegistrationClosed(_l("Ce groupe a déjà commencé : les inscriptions sont clôturées."))


class _LazyDate:
    """A date that formats itself in the request's language when the message is rendered."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __str__(self) -> str:
        return format_day(self.moment)


def check_commitment(
    event: Event, group: Group, commit_all_dates: bool, date_id: int | None
) -> SessionDate | None:
    """Apply the attendance rule: all dates of one group need an explicit commitment;
    one-date events need a date of that group. Returns the chosen date, if any."""
    if event.attendance_rule is AttendanceRule.ALL_DATES:
        if not commit_all_dates:
            dates = ", ".join(format_day(d.starts_at) for d in held_dates(group))
            raise InvalidRequest(
                errors={
                    "commit_all_dates": [
                        _l(
                            "Vous devez vous engager à participer à toutes les dates : %(dates)s.",
                            dates=dates,
                        )
                    ]
                }
            )
        return None
    return choose_date(group, date_id)


def find_active_registration(session: Session, event: Event, email: str) -> Registration | None:
    """The person's confirmed or waitlisted registration for this event, if any."""
    return session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalized == normalise_email(email),
            Registration.status.in_(ACTIVE_STATUSES),
        )
    )


def register(
    session: Session,
    event: Event,
    group: Group,
    participant: Participant,
    *,
    commit_all_dates: bool,
    date_id: int | None = None,
    now: datetime | None = None,
) -> Registration:
    """Register a participant: confirmed while places remain, otherwise waitlisted.

    Registrations for the same group reaching this process meanwhile are admitted in the same
    transaction, in the order they came (see ``shared.domain.admissions``).
    """
    now_written = utcnow()
    now = now or now_written
    if group.event_id != event.id:
        raise NotFound()
    check_registration_window(event, group, now)
    chosen_date = check_commitment(event, group, commit_all_dates, date_id)
    # Everything that needs no count is prepared before the group's lock is taken.
    registration = _new_registration(
        event, group, participant, chosen_date, CONSENT_VERSION, now, now_written
    )
    ask_confirmation(registration, event, now)
    arrival = Arrival(registration, participant.answers)
    batch = (session.get_bind(), group.id)
    if batches.join(batch, arrival):
        _admit_batch(session, event, group, batch, now)
        return registration
    outcome = batches.wait(batch, arrival)
    if outcome is None:
        raise Busy(headers={"Retry-After": RETRY_AFTER_S})
    if outcome is Outcome.ADMITTED:
        # Written with its answers in the batch's transaction, and committed.
        _attach(session, event, group, registration)
    else:
        _admit_alone(session, event, group, arrival, now)
    return registration


def register_or_acknowledge(
    session: Session,
    event: Event,
    group: Group,
    participant: Participant,
    *,
    commit_all_dates: bool,
    date_id: int | None = None,
    now: datetime | None = None,
) -> Registration | Receipt:
    """:func:`register`; where the event asks for confirmation by email, answer with a
    :class:`Receipt` that reads the same whether or not the address already holds a
    registration in the event, so that a stranger learns nothing from it: the address's owner
    is told by email that they are already registered, with their own links."""
    now = now or utcnow()
    asked = {"commit_all_dates": commit_all_dates, "date_id": date_id, "now": now}
    if event.confirmation_hours is None:
        return register(session, event, group, participant, **asked)
    try:
        confirm_by = register(session, event, group, participant, **asked).confirm_by
    except AlreadyRegistered:
        holder = find_active_registration(session, event, participant.email)
        if holder is None:  # released or cancelled since the count: a retry registers
            raise Busy(headers={"Retry-After": RETRY_AFTER_S}) from None
        queue_email(session, EmailKind.ALREADY_REGISTERED, registration=holder)
        confirm_by = None
    return Receipt(
        event=event,
        group=group,
        first_name=participant.first_name,
        last_name=participant.last_name,
        email=participant.email.strip(),
        role=participant.role,
        language=participant.language,
        phone=participant.phone,
        organisation=participant.organisation,
        confirm_by=confirm_by or now + timedelta(hours=event.confirmation_hours),
    )


def _admit_batch(session: Session, event: Event, group: Group, batch: Any, now: datetime) -> None:
    # The batch's leader: the lock it waits for serves every registration queued meanwhile.
    try:
        lock_group(session, group)
    except BaseException:
        _leader, *others = batches.close(batch)
        end_all(others, Outcome.ALONE)
        raise
    leader, *others = batches.close(batch)
    if not others:
        _admit_locked(session, event, group, leader, now)
        return
    newcomers = [leader.registration] + [other.registration for other in others]
    try:
        free_before = admit(session, group, newcomers, now)
    except AlreadyRegistered:
        # One of them already holds a place in the event, or two of them share an address:
        # each is admitted on its own instead, so that only those are refused.
        end_all(others, Outcome.ALONE)
        _admit_locked(session, event, group, leader, now)
        return
    except BaseException:
        end_all(others, Outcome.ALONE)
        raise
    try:
        _write(session, newcomers)
        # Each one's answers too: once told it is admitted, a registration writes nothing.
        record_answers(session, ((a.registration, a.answers) for a in (leader, *others)))
        announced = map(partial(_announcements, group), newcomers, free_before)
        queue_emails(session, [email for emails in announced for email in emails])
    except AlreadyRegistered as error:
        # An address took a place in another group of the event since the count (under that
        # group's lock, not this one's): the transaction is lost, and whose address it was
        # unknown. Each is admitted on its own again, the leader once its client retries.
        end_all(others, Outcome.ALONE)
        raise Busy(headers={"Retry-After": RETRY_AFTER_S}) from error
    except BaseException:
        end_all(others, Outcome.ALONE)
        raise
    _attach(session, event, group, leader.registration)
    transaction_list(
        session,
        _BATCHED,
        committed=partial(end_all, outcome=Outcome.ADMITTED),
        rolled_back=partial(end_all, outcome=Outcome.ALONE),
    ).extend(others)


def _admit_alone(
    session: Session, event: Event, group: Group, arrival: Arrival, now: datetime
) -> None:
    lock_group(session, group)
    _admit_locked(session, event, group, arrival, now)


def _admit_locked(
    session: Session, event: Event, group: Group, arrival: Arrival, now: datetime
) -> None:
    registration = arrival.registration
    [free] = admit(session, group, [registration], now)
    try:
        _write(session, [registration])
    except AlreadyRegistered as error:
        if event.confirmation_hours is None:
            raise
        # The address took a place in another group since the count, and the transaction is
        # lost: a 409 would tell a stranger the address is registered; the retry answers as
        # any registration does.
        raise Busy(headers={"Retry-After": RETRY_AFTER_S}) from error
    record_answers(session, [(registration, arrival.answers)])
    _attach(session, event, group, registration)
    queue_emails(session, _announcements(group, registration, free))


@dataclass(frozen=True)
class Addition:
    """A participant an organiser added by hand, and whether their place is one beyond the
    group's capacity."""

    registration: Registration
    beyond_capacity: bool


def add_by_hand(
    session: Session,
    event: Event,
    group: Group,
    participant: Participant,
    *,
    date_id: int | None = None,
    over_capacity: bool = False,
    notify: bool = True,
    now: datetime | None = None,
) -> Addition:
    """Confirm a participant who signed the paper form, at any time: never waitlisted, and in
    a full group only ``over_capacity``; ``notify=False`` sends them no confirmation."""
    now_written = utcnow()
    now = now or now_written
    if group.event_id != event.id:
        raise NotFound()
    # No window: the person is there, or their form is, also once the group has started.
    check_takes_registrations(event, group)
    # Signing up on paper commits to every date; a one-date event still needs its date.
    chosen_date = check_commitment(event, group, commit_all_dates=True, date_id=date_id)
    registration = _new_registration(
        event, group, participant, chosen_date, PAPER_CONSENT_VERSION, now, now_written
    )
    lock_group(session, group)
    free = places_left(group, confirmed_count(session, group))
    if free == 0 and not over_capacity:
        raise CapacityConflict(
            _l(
                "Il ne reste aucune place dans ce groupe : la personne ne peut y être ajoutée "
                "qu'au-delà du nombre de places."
            ),
            errors={
                "over_capacity": [
                    _l("À choisir pour confirmer cette personne au-delà du nombre de places.")
                ]
            },
        )
    confirm(registration)
    _write(session, [registration])
    _attach(session, event, group, registration)
    record_answers(session, [(registration, participant.answers)])
    queue_emails(session, _announcements(group, registration, free, tell_participant=notify))
    return Addition(registration, beyond_capacity=free == 0)


def _new_registration(
    event: Event,
    group: Group,
    participant: Participant,
    chosen_date: SessionDate | None,
    consent_version: str,
    consented_at: datetime,
    written_at: datetime,
) -> Registration:
    # Ids, not relationships, so that the row joins the session only once complete.
    return Registration(
        event_id=event.id,
        group_id=group.id,
        session_date_id=chosen_date.id if chosen_date else None,
        first_name=participant.first_name,
        last_name=participant.last_name,
        email=participant.email.strip(),
        email_normalized=normalise_email(participant.email),
        phone=participant.phone,
        organisation=participant.organisation,
        role=participant.role,
        language=participant.language,
        consent_version=consent_version,
        consented_at=consented_at,
        manage_token_version=0,
        calendar_token_version=0,
        checkin_code_version=0,
        legacy_manage_digest=None,
        legacy_calendar_digest=None,
        created_at=written_at,
        updated_at=written_at,
        cancelled_at=None,
        anonymised_at=None,
        confirm_by=None,
        email_confirmed_at=None,
        confirmation_nonce=None,
        confirmation_digest=None,
    )


def _announcements(
    group: Group, registration: Registration, free: int | None, *, tell_participant: bool = True
) -> list[Email]:
    # ``free`` counts the places before this registration: taking the last one tells the
    # organisers the group is full, however the person came in.
    if awaits_confirmation(registration):
        # The place or the waiting position is told once confirmed; first the link.
        position = {"waitlist_position": registration.waitlist_position}
        emails = [
            Email(EmailKind.CONFIRM_REGISTRATION, registration=registration, payload=position)
        ]
        if registration.status is RegistrationStatus.CONFIRMED and free == 1:
            emails.append(Email(EmailKind.GROUP_FULL, group=group))
        return emails
    if registration.status is not RegistrationStatus.CONFIRMED:
        position = {"waitlist_position": registration.waitlist_position}
        return [Email(EmailKind.WAITLISTED, registration=registration, payload=position)]
    emails = [Email(EmailKind.CONFIRMED, registration=registration)] if tell_participant else []
    if free == 1:
        emails.append(Email(EmailKind.GROUP_FULL, group=group))
    return emails


def _write(session: Session, registrations: list[Registration]) -> None:
    """Insert new, fully set registrations in one statement, giving each its id: under the
    group's lock, the unit of work's bookkeeping costs more than the statement. 409 when an
    address already holds an active registration for the event."""
    values = [
        {column.key: getattr(registration, column.key) for column in _WRITTEN_COLUMNS}
        for registration in registrations
    ]
    try:
        ids = session.connection().execute(_INSERT_REGISTRATIONS, values).scalars().all()
    except IntegrityError as error:
        # The unique index on active registrations per event and address decides, also
        # between two simultaneous requests for different groups.
        raise AlreadyRegistered() from error
    for registration, written_id in zip(registrations, ids, strict=True):
        registration.id = written_id


def _attach(session: Session, event: Event, group: Group, registration: Registration) -> None:
    """Make a written registration a persistent object of the session, with the loaded group
    and event (the identity map holds them weakly, and the answer and the outbox need them)."""
    make_transient_to_detached(registration)
    session.add(registration)
    set_committed_value(registration, "group", group)
    set_committed_value(registration, "event", event)
    # Joined as an existing row, it would outlive a rollback of its own transaction.
    transaction_list(
        session, _WRITTEN, committed=_log_created, rolled_back=partial(_forget, session)
    ).append(registration)


def _log_created(registrations: list[Registration]) -> None:
    # Logged once committed: a registration rolled back was never created, and the line is
    # not written while the group's lock is held.
    for registration in registrations:
        log.info(
            "registration created",
            extra={
                "registration_id": registration.id,
                "group_id": registration.group_id,
                "status": registration.status.value,
            },
        )


def _forget(session: Session, registrations: list[Registration]) -> None:
    for registration in registrations:
        if registration in session:
            session.expunge(registration)


def cancel(
    session: Session,
    registration: Registration,
    *,
    tell_participant: bool = True,
    by_participant: bool = False,
) -> list[Registration]:
    """Cancel a registration (idempotent) and promote from the waiting list; return the promoted.

    ``tell_participant=False`` skips the cancellation email (the person asked to be erased);
    ``by_participant`` refuses (409) once the participant may no longer cancel by themselves.
    """
    if registration.status is RegistrationStatus.CANCELLED:
        return []
    group = registration.group
    lock_group(session, group)
    session.refresh(registration)
    if registration.status is RegistrationStatus.CANCELLED:
        return []
    # Asked under the lock: an organiser may have just promoted them by hand.
    if by_participant and not participant_may_cancel(registration, utcnow()):
        raise CancellationClosed()
    registration.status = RegistrationStatus.CANCELLED
    registration.waitlist_position = None
    registration.cancelled_at = utcnow()
    session.flush()
    if tell_participant:
        queue_email(session, EmailKind.CANCELLED, registration=registration)
    promoted = promote_waitlisted(session, group)
    close_waitlist_gaps(session, group)
    log.info(
        "registration cancelled",
        extra={
            "registration_id": registration.id,
            "group_id": group.id,
            "promoted_ids": [r.id for r in promoted],
        },
    )
    return promoted


def participant_may_cancel(registration: Registration, now: datetime) -> bool:
    """Whether the participant may still cancel by themselves: a place on the waiting list
    always, a confirmed place until its first date begins. From then on what they attended
    is on record; the organisers cancel if need be."""
    if registration.status is RegistrationStatus.WAITLISTED:
        return True
    return registration.status is RegistrationStatus.CONFIRMED and not has_begun(registration, now)


def registration_by_token(session: Session, token: str, *, kind: str = "manage") -> Registration:
    """The registration a manage or calendar token opens; 410 for a replaced token, else 404.

    A derived token is checked by deriving it again, in constant time; any other is one sent
    before tokens were derived, found by its digest."""
    registration_id = registration_id_of(token)
    if registration_id is None:
        return _legacy_holder(session, token, kind)
    registration = session.get(Registration, registration_id)
    if registration is None or registration.anonymised_at is not None:
        raise NotFound()
    require_current(token, kind, registration_id, _token_version(registration, kind))
    return registration


def _legacy_holder(session: Session, token: str, kind: str) -> Registration:
    column = Registration.legacy_manage_digest
    if kind != "manage":
        column = Registration.legacy_calendar_digest
    registration = session.scalar(select(Registration).where(column == digest(token)))
    if registration is not None:
        return registration
    revoked = session.scalar(
        select(RevokedToken.id).where(
            RevokedToken.token_digest == digest(token), RevokedToken.kind == kind
        )
    )
    raise Gone() if revoked else NotFound()


def _token_version(registration: Registration, kind: str) -> int:
    if kind == "manage":
        return registration.manage_token_version
    return registration.calendar_token_version


def reissue_token(session: Session, registration: Registration, *, kind: str) -> None:
    """Replace the registration's manage or calendar token; the old one answers 410 from now."""
    if kind == "manage":
        registration.manage_token_version += 1
        legacy, registration.legacy_manage_digest = registration.legacy_manage_digest, None
    else:
        registration.calendar_token_version += 1
        legacy, registration.legacy_calendar_digest = registration.legacy_calendar_digest, None
    if legacy is not None:
        session.add(RevokedToken(token_digest=legacy, kind=kind, registration_id=registration.id))
    session.flush()
