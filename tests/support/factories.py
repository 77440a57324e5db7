"""Build events, groups, dates and registrations in a test's session."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from shared.database import utcnow
from shared.domain.organiser_messages import Audience
from shared.domain.registrations import Participant, register
from shared.i18n import BRUSSELS
from shared.models import (
    AnswerKind,
    AttendanceRule,
    DeliveryStatus,
    EmailKind,
    EmailMessage,
    Event,
    EventKind,
    Group,
    OrganiserMessage,
    Registration,
    RegistrationQuestion,
    Role,
    Room,
    SendMode,
    SessionDate,
    Venue,
)

_serial = itertools.count(1)


def indicator_question(
    event: Event, indicator: str, position: int, categories: list[tuple[str, str]]
) -> RegistrationQuestion:
    """A one-choice question tied to ``indicator``: each (key, category) a choice."""
    return RegistrationQuestion(
        event=event,
        position=position,
        kind=AnswerKind.ONE_CHOICE,
        wording={"fr": indicator},
        indicator=indicator,
        choices=[
            {"key": key, "label": {"fr": key}, "hidden": False, "category": category}
            for key, category in categories
        ],
    )


def local(text: str) -> datetime:
    """A Brussels wall-clock time, aware: local("2023-10-03T09:30")."""
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


class Factory:
    """Creates rows with sensible defaults; every keyword overrides one.

    Each row is committed (inside the test's outer transaction), so a request that the code
    under test rolls back does not take the test's data with it.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def event(self, **fields: Any) -> Event:
        """A workshop whose registration is open, without groups."""
        n = next(_serial)
        values: dict[str, Any] = {
            "slug": f"event-{n}",
            "title": {"fr": f"Atelier {n}", "en": f"Workshop {n}", "uk": f"Семінар {n}"},
            "description": {"fr": "Description", "en": "Description", "uk": "Опис"},
            "prerequisites": {"fr": "Français oral A2", "en": "Oral French A2", "uk": "Усна A2"},
            "kind": EventKind.WORKSHOP,
            "attendance_rule": AttendanceRule.ALL_DATES,
            "organiser_contact": "organisers@example.org",
            "registration_opens_at": utcnow() - timedelta(days=1),
        }
        values.update(fields)
        event = Event(**values)
        self.session.add(event)
        self.session.commit()
        return event

    def room(self, town: str = "Charleroi", **fields: Any) -> Room:
        """A room seating 24 ("Salle 2") in a venue of its own in ``town``."""
        venue = Venue(
            name="AVIQ",
            street_address="bd Mayence 14",
            postcode="6000",
            town=town,
            town_slug=town.lower(),
        )
        room = Room(venue=venue, **{"name": "Salle 2", "capacity": 24, **fields})
        self.session.add(room)
        self.session.commit()
        return room

    def group(
        self,
        event: Event | None = None,
        *,
        capacity: int | None = 20,
        dates: list[tuple[datetime, datetime]] | None = None,
        **fields: Any,
    ) -> Group:
        """A group at a venue with two dates, a week apart, starting in a month."""
        event = event or self.event()
        n = next(_serial)
        if dates is None:
            first = (
                (utcnow() + timedelta(days=30))
                .astimezone(BRUSSELS)
                .replace(hour=9, minute=30, second=0, microsecond=0)
            )
            dates = [
                (first, first.replace(hour=16)),
                (first + timedelta(weeks=1), (first + timedelta(weeks=1)).replace(hour=16)),
            ]
        values: dict[str, Any] = {
            "slug": f"group-{n}",
            "name": f"Groupe {n}",
            "venue_name": "DICS",
            "street_address": "avenue Gouverneur Bovesse 100",
            "postcode": "5100",
            "town": "Jambes",
            "town_slug": "jambes",
            "capacity": capacity,
            "position": n,
        }
        values.update(fields)
        group = Group(event=event, **values)
        group.dates = [SessionDate(starts_at=start, ends_at=end) for start, end in dates]
        self.session.add(group)
        self.session.commit()
        self.session.refresh(group)
        return group

    def email_message(self, registration: Registration, **fields: Any) -> EmailMessage:
        """A failed confirmation email to the registration's participant, in the delivery log."""
        values: dict[str, Any] = {
            "kind": EmailKind.CONFIRMED,
            "event_id": registration.event_id,
            "registration_id": registration.id,
            "recipient": registration.email,
            "language": registration.language,
            "status": DeliveryStatus.FAILED,
            "attempts": 3,
            "last_error": "550 mailbox unavailable",
            "message_id": f"<message-{next(_serial)}@atelier>",
        }
        values.update(fields)
        message = EmailMessage(**values)
        self.session.add(message)
        self.session.commit()
        return message

    def organiser_message(self, group: Group, **fields: Any) -> OrganiserMessage:
        """A message its organisers wrote to everyone registered in the group, to be sent at
        a time still to come."""
        values: dict[str, Any] = {
            "event_id": group.event_id,
            "audience": Audience((group.id,)).as_json(),
            "texts": {"fr": {"subject": "Salle", "body": "Au 2e étage."}},
            "send_mode": SendMode.AT,
            "send_at": local("2099-01-01T09:00"),
        }
        values.update(fields)
        message = OrganiserMessage(**values)
        self.session.add(message)
        self.session.commit()
        return message

    def registration(
        self,
        group: Group | None = None,
        *,
        at: datetime | None = None,
        date: SessionDate | None = None,
        **fields: Any,
    ) -> Registration:
        """Register a new participant through the domain rules (confirmed or waitlisted),
        now or ``at`` a moment when registration was open; for every date of the group, or
        for ``date`` alone (one-date events)."""
        group = group or self.group()
        n = next(_serial)
        values: dict[str, Any] = {
            "first_name": "Participant",
            "last_name": f"N{n}",
            "email": f"participant{n}@example.org",
            "role": Role.FIELD_WORKER,
            "language": "fr",
        }
        values.update(fields)
        registration = register(
            self.session,
            group.event,
            group,
            Participant(**values),
            commit_all_dates=date is None,
            date_id=date.id if date else None,
            now=at,
        )
        self.session.commit()
        self.session.refresh(group)
        return registration
