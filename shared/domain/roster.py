"""What organisers do to a group's roster: move a participant to another group, change the
capacity, promote from the waiting list by hand. Each change keeps the waiting list moving
and queues the email the participant must receive."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from shared.database import utcnow
from shared.domain.attendance import choose_date, first_held_date, has_started
from shared.domain.capacity import (
    announce_promotions,
    close_waitlist_gaps,
    confirm,
    confirmed_count,
    has_free_place,
    lock_group,
    promote_waitlisted,
)
from shared.errors import CapacityConflict, InvalidRequest
from shared.models import (
    AttendanceRule,
    EmailKind,
    Group,
    Registration,
    RegistrationStatus,
    SessionDate,
)
from shared.outbox import queue_email


def lock_groups(session: Session, groups: list[Group]) -> None:
    """Lock several groups, always in id order, so two movers never wait on each other."""
    for group in sorted(groups, key=lambda g: g.id):
        lock_group(session, group)


def check_move_target(
    registration: Registration, target: Group, date_id: int | None, now: datetime
) -> SessionDate | None:
    """Refuse a target group a participant cannot join; return the chosen date of a one-date
    event. The target must be another group of the same event, not cancelled, not started,
    and the participant must be able to keep every date it asks for."""
    if target.event_id != registration.event_id:
        raise InvalidRequest(errors={"group": [_l("Choisissez un groupe du même événement.")]})
    if target.id == registration.group_id:
        raise InvalidRequest(errors={"group": [_l("La personne est déjà dans ce groupe.")]})
    if target.is_cancelled:
        raise InvalidRequest(errors={"group": [_l("Ce groupe a été annulé.")]})
    if first_held_date(target) is None or has_started(target, now):
        raise InvalidRequest(
            errors={
                "group": [_l("Ce groupe a déjà commencé : on ne peut plus y déplacer personne.")]
            }
        )
    if registration.event.attendance_rule is not AttendanceRule.ONE_DATE:
        return None
    return choose_date(target, date_id)


def move(
    session: Session,
    registration: Registration,
    target: Group,
    *,
    date_id: int | None = None,
    now: datetime | None = None,
) -> list[Registration]:
    """Move an active registration to another group of its event where a place is free.

    The participant is confirmed in the target group; the old group's waiting list moves up.
    Returns the registrations promoted in the old group.
    """
    if not registration.is_active:
        raise InvalidRequest(_l("Cette inscription est annulée."))
    chosen_date = check_move_target(registration, target, date_id, now or utcnow())
    source = registration.group
    lock_groups(session, [source, target])
    session.refresh(registration)
    if not has_free_place(session, target):
        raise CapacityConflict(_l("Il ne reste aucune place dans ce groupe."))
    was_confirmed = registration.status is RegistrationStatus.CONFIRMED
    registration.group = target
    registration.session_date = chosen_date
    confirm(registration)
    session.flush()
    queue_email(
        session,
        EmailKind.MOVED,
        registration=registration,
        payload={"from_group_id": source.id},
    )
    promoted = promote_waitlisted(session, source, now=now) if was_confirmed else []
    close_waitlist_gaps(session, source)
    return promoted


def change_capacity(session: Session, group: Group, capacity: int | None) -> list[Registration]:
    """Set a group's number of places; raising it promotes from the waiting list.

    Lowering it below the confirmed participants is refused: nobody loses a confirmed place.
    Returns the promoted registrations.
    """
    lock_group(session, group)
    confirmed = confirmed_count(session, group)
    if capacity is not None and capacity < confirmed:
        raise CapacityConflict(
            _l(
                "Impossible de descendre à %(capacity)s places : %(confirmed)s personnes sont "
                "déjà confirmées. Annulez ou déplacez d'abord des inscriptions.",
                capacity=capacity,
                confirmed=confirmed,
            ),
            errors={"capacity": [_l("Au moins %(confirmed)s places.", confirmed=confirmed)]},
        )
    group.capacity = capacity
    session.flush()
    return promote_waitlisted(session, group)


def promote(session: Session, registration: Registration) -> bool:
    """Confirm a waitlisted participant chosen by an organiser, out of turn if need be.

    A hand-picked promotion into a full group adds a place for that person; it is also how
    someone is given a place once their first date has begun. Returns whether the capacity
    was raised.
    """
    group = registration.group
    lock_group(session, group)
    session.refresh(registration)
    if registration.status is not RegistrationStatus.WAITLISTED:
        raise InvalidRequest(_l("Seule une personne en liste d'attente peut être promue."))
    raised = not has_free_place(session, group)
    if raised:
        group.capacity = confirmed_count(session, group) + 1
    confirm(registration)
    session.flush()
    close_waitlist_gaps(session, group)
    announce_promotions(session, [registration])
    return raised
