"""Closing a group once its last held date is over: each participant who completed the
training is sent their certificate of attendance, and each one present at least once an
invitation to evaluate it. Closing again sends nothing twice; presence recorded after the
closing sends what it earns then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shared.database import utcnow
from shared.domain import evaluations
from shared.domain.attendance import (
    attended,
    confirmed_with_presence,
    last_held_date,
    presence_marks,
)
from shared.domain.capacity import lock_group
from shared.domain.certificates import certificate_of, issue_to_all
from shared.errors import NotOver
from shared.i18n import format_day
from shared.models import EmailKind, Group, Registration
from shared.outbox import queue_email


@dataclass(frozen=True)
class Closing:
    """What closing a group did: who was sent a certificate and who was invited to evaluate,
    or nothing if it was closed already."""

    group: Group
    certified: list[Registration]
    invited: list[Registration]
    already_closed: bool


def can_close(group: Group, now: datetime) -> bool:
    """Whether the group's last held date is over (a called-off group never closes)."""
    last = last_held_date(group)
    return last is not None and now >= last.ends_at


def close_group(session: Session, group: Group, *, now: datetime | None = None) -> Closing:
    """Close the group after its last held date (409 before), send a certificate to each
    participant who completed it and invite those present at least once to evaluate it; a
    group already closed is left as it is."""
    now = now or utcnow()
    if group.closed_at is None and not can_close(group, now):
        last = last_held_date(group)
        if last is None:
            raise NotOver()
        raise NotOver(
            _l(
                "Ce groupe pourra être clôturé après sa dernière date, le %(day)s.",
                day=format_day(last.starts_at),
            )
        )
    # The group's lock makes two simultaneous closings one: the second finds it closed.
    lock_group(session, group)
    session.refresh(group, ["closed_at"])
    if group.closed_at is not None:
        return Closing(group, [], [], already_closed=True)
    group.closed_at = now
    confirmed = list(session.scalars(confirmed_with_presence(group).order_by(Registration.id)))
    certified = [c.registration for c in issue_to_all(session, confirmed)]
    for registration in certified:
        queue_email(session, EmailKind.CERTIFICATE, registration=registration)
    present = [r for r in confirmed if attended(r, presence_marks(r))]
    invited = evaluations.invite(session, present)
    session.flush()
    return Closing(group, certified, invited, already_closed=False)


def follow_late_presence(session: Session, registration: Registration) -> None:
    """Send what a participant of a closed group earns by presence recorded after the
    closing: the certificate once they completed, the invitation to evaluate once present."""
    if registration.group.closed_at is None:
        return
    if certificate_of(session, registration) is None:
        for certificate in issue_to_all(session, [registration]):
            queue_email(session, EmailKind.CERTIFICATE, registration=certificate.registration)
    if attended(registration, presence_marks(registration)):
        evaluations.invite(session, [registration])


def follow_late_presences(session: Session, group: Group, registration_ids: list[int]) -> None:
    """:func:`follow_late_presence` for each of the group's registrations just marked present
    by a batch of marks: nothing is loaded while the group is open, as it mostly is."""
    if group.closed_at is None or not registration_ids:
        return
    marked = session.scalars(
        select(Registration)
        .where(Registration.id.in_(registration_ids))
        .options(selectinload(Registration.attendances))
        # The marks were written past any loaded registration's objects.
        .execution_options(populate_existing=True)
    )
    for registration in marked:
        follow_late_presence(session, registration)
