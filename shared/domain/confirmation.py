"""Registrations confirmed from their email, where an event asks for it.

Anyone can type an address: so that invented or borrowed addresses cannot fill a group, an
event may ask that each registration be confirmed from the email it receives within
``Event.confirmation_hours``. Until then the registration holds its place, or its waiting
position, only provisionally; past that moment it is released and the waiting list moves on
(:func:`release_unconfirmed`, run by beat, and under the group's lock before every count,
see ``shared.domain.capacity.admit``). The link's token is derived from a stored nonce and
the secret key: only its digest is kept, to find the registration again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.domain.capacity import awaits_confirmation, lapsed_clause, lock_group, release_lapsed
from shared.errors import NotFound
from shared.models import EmailKind, Event, Group, Registration, RegistrationStatus, Role
from shared.outbox import queue_email
from shared.tokens import digest, keyed_digest, new_token

DEFAULT_HOURS = 24
SHORTEST_HOURS = 1
LONGEST_HOURS = 72
AWAITING = "awaiting_confirmation"


def confirmation_token(nonce: str) -> str:
    """The confirmation link's token, derived from the registration's nonce and the secret
    key: the worker writes it into the email, no table holds it."""
    return keyed_digest("registration-confirmation", nonce)


def ask_confirmation(registration: Registration, event: Event, now: datetime) -> None:
    """Make a new registration wait for confirmation from its email, if its event asks."""
    if event.confirmation_hours is None:
        return
    nonce = new_token()
    registration.confirm_by = now + timedelta(hours=event.confirmation_hours)
    registration.confirmation_nonce = nonce
    registration.confirmation_digest = digest(confirmation_token(nonce))


@dataclass(frozen=True)
class Receipt:
    """What registering answers where the event asks for confirmation by email: only what
    was asked, the same whether the address was new or already registered (the email tells
    its owner which), and no link: those go to the address."""

    event: Event
    group: Group
    first_name: str
    last_name: str
    email: str
    role: Role
    language: str
    phone: str | None
    organisation: str | None
    confirm_by: datetime
    status: str = AWAITING


def registration_by_confirmation(session: Session, token: str) -> Registration:
    """The registration a confirmation link names; 404 for any other token."""
    registration = session.scalar(
        select(Registration).where(Registration.confirmation_digest == digest(token))
    )
    if registration is None or registration.anonymised_at is not None:
        raise NotFound()
    return registration


def confirm_from_email(session: Session, token: str, now: datetime) -> Registration:
    """Confirm the registration the link names, unless its time has run out: then it is
    released (if the sweep has not done so yet). Confirming again changes nothing. The
    registration is returned as it stands: cancelled when it was released or cancelled."""
    registration = registration_by_confirmation(session, token)
    if not registration.is_active or not awaits_confirmation(registration):
        return registration
    # Under the lock, so that the sweep cannot release it while it is being confirmed.
    lock_group(session, registration.group)
    release_lapsed(session, registration.group, now)
    session.refresh(registration)
    if not registration.is_active or not awaits_confirmation(registration):
        return registration
    registration.email_confirmed_at = now
    session.flush()
    if registration.status is RegistrationStatus.CONFIRMED:
        queue_email(session, EmailKind.CONFIRMED, registration=registration)
    else:
        position = {"waitlist_position": registration.waitlist_position}
        queue_email(session, EmailKind.WAITLISTED, registration=registration, payload=position)
    return registration


def was_released(registration: Registration) -> bool:
    """Whether the registration was cancelled because it was not confirmed in time."""
    return (
        registration.status is RegistrationStatus.CANCELLED
        and registration.email_confirmed_at is None
        and registration.confirm_by is not None
        and registration.cancelled_at is not None
        and registration.cancelled_at >= registration.confirm_by
    )


def release_unconfirmed(session: Session, now: datetime) -> list[int]:
    """Release every registration not confirmed from its email by its deadline, group by
    group under each group's lock (in id order, as movers take them), and let each waiting
    list move on; return the ids released. Beat runs this."""
    lapsed_groups = select(Registration.group_id).where(lapsed_clause(now)).distinct()
    groups = session.scalars(select(Group).where(Group.id.in_(lapsed_groups)).order_by(Group.id))
    released: list[int] = []
    for group in groups.all():
        lock_group(session, group)
        released.extend(registration.id for registration in release_lapsed(session, group, now))
    return released
