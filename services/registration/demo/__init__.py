"""Demo data: the seed's events, at their 2023 dates or moved into the coming months, and a
previous edition of the workshop already held, its presence recorded, to try certificates
at once."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.domain.registration_questions import replace_questions
from shared.domain.registrations import Participant, add_by_hand
from shared.domain.schedule import VENUE_FIELDS
from shared.domain.venues import venue_for_address
from shared.i18n import BRUSSELS
from shared.models import (
    AnswerKind,
    Attendance,
    AttendanceRule,
    Event,
    EventKind,
    Group,
    RegistrationQuestion,
    Role,
    Room,
    SessionDate,
    Trainer,
)

SEED = Path(__file__).with_name("seed-2023.json")
LEAD_TIME = timedelta(weeks=6)


def seed_events() -> list[dict[str, Any]]:
    """The seed's events as written in the fixture, with their 2023 schedule."""
    return json.loads(SEED.read_text(encoding="utf-8"))["events"]


def weeks_to_shift(events: list[dict[str, Any]], today: date) -> int:
    """Whole weeks that move the earliest seed date to at least six weeks after ``today``.

    Whole weeks keep every weekday and every spacing between dates.
    """
    earliest = min(
        datetime.fromisoformat(start).date()
        for event in events
        for group in event["groups"]
        for start, _end in group["dates"]
    )
    days = (today + LEAD_TIME - earliest).days
    return max(0, -(-days // 7))


def load_events(session: Session, *, today: date | None = None) -> list[Event]:
    """Add the seed's events; with ``today``, moved into the weeks after it. Flushes."""
    events = seed_events()
    shift = timedelta(weeks=weeks_to_shift(events, today) if today else 0)
    return [_add_event(session, spec, shift) for spec in events]


# Who came to the held edition: (first name, last name, language, present on the second day).
HELD_GROUP_PEOPLE = (
    ("Amina", "Benali", "fr", True),
    ("Olena", "Kovalenko", "uk", True),
    ("Jan", "Claes", "fr", True),
    ("Grace", "Mensah", "en", True),
    ("Marc", "Lambert", "fr", False),
)


# The funders' questions the workshop and its held edition ask, tied to ESF+ indicators; all
# optional, so that the scale and compose tests' registrations, which answer none, still pass.
def _choice(key: str, category: str, fr: str, en: str) -> dict[str, Any]:
    return {"key": key, "label": {"fr": fr, "en": en}, "category": category, "hidden": False}


FUNDER_QUESTIONS = (
    {
        "kind": AnswerKind.ONE_CHOICE,
        "wording": {"fr": "Vous êtes", "en": "You are"},
        "indicator": "gender",
        "choices": [
            _choice("femme", "woman", "Une femme", "A woman"),
            _choice("homme", "man", "Un homme", "A man"),
            _choice("non-binaire", "non_binary", "Non binaire", "Non-binary"),
        ],
    },
    {
        "kind": AnswerKind.ONE_CHOICE,
        "wording": {"fr": "Votre situation professionnelle", "en": "Your employment status"},
        "indicator": "labour_market",
        "choices": [
            _choice("en-emploi", "employed", "En emploi", "Employed"),
            _choice("demandeur", "unemployed", "Demandeur·se d'emploi", "Job seeker"),
            _choice(
                "longue-duree",
                "long_term_unemployed",
                "Sans emploi depuis plus d'un an",
                "Without a job for over a year",
            ),
            _choice("inactif", "inactive", "Ni en emploi ni en recherche", "Neither"),
        ],
    },
    {
        "kind": AnswerKind.ONE_CHOICE,
        "wording": {
            "fr": "Avez-vous un handicap reconnu ?",
            "en": "Do you have a recognised disability?",
        },
        "indicator": "disability",
        "choices": [_choice("oui", "yes", "Oui", "Yes"), _choice("non", "no", "Non", "No")],
    },
)
# What the held edition's participants answered: gender, status, disability (None: skipped).
HELD_GROUP_ANSWERS = {
    "Benali": ("femme", "demandeur", "prefer-not-to-say"),
    "Kovalenko": ("femme", "longue-duree", None),
    "Claes": ("homme", "en-emploi", "non"),
    "Mensah": (None, "inactif", "oui"),
    "Lambert": ("homme", "demandeur", None),
}


def ask_funder_questions(session: Session, event: Event) -> list[RegistrationQuestion]:
    """Give the event the funders' questions. Flushes."""
    return replace_questions(session, event, [dict(q) for q in FUNDER_QUESTIONS])


# The held edition's title, after the workshop's own in each language.
HELD_EDITION = {
    "fr": "session précédente",
    "en": "previous session",
    "uk": "попередня сесія",
    "ar": "الدورة السابقة",
}


def add_held_edition(session: Session, workshop: Event, today: date) -> Event:
    """A previous edition of ``workshop`` whose one group met on two Tuesdays, three and two
    weeks before the last one up to ``today``, its participants added from paper forms with
    their answers to the funders' questions (which both editions ask) and their presence
    recorded: four completed, one missed the second day. Flushes."""
    # On Tuesdays, like the workshop: the last Tuesday up to today, three and two weeks back.
    tuesday = today - timedelta(days=(today.weekday() - 1) % 7)
    days = [tuesday - timedelta(weeks=3), tuesday - timedelta(weeks=2)]
    group = Group(
        slug="namur",
        name="Namur",
        venue_name="CAI",
        street_address="rue Docteur Haibe 2",
        postcode="5002",
        town="Namur",
        town_slug="namur",
        capacity=20,
        dates=[
            SessionDate(
                starts_at=datetime(d.year, d.month, d.day, 9, 30, tzinfo=BRUSSELS),
                ends_at=datetime(d.year, d.month, d.day, 16, 0, tzinfo=BRUSSELS),
            )
            for d in days
        ],
    )
    edition = Event(
        slug=f"{workshop.slug}-precedente",
        title={k: f"{v} ({HELD_EDITION[k]})" for k, v in workshop.title.items()},
        description=workshop.description,
        prerequisites=workshop.prerequisites,
        kind=workshop.kind,
        attendance_rule=workshop.attendance_rule,
        organiser_contact=workshop.organiser_contact,
        issuer=workshop.issuer,
        signatory_name=workshop.signatory_name,
        signatory_role=workshop.signatory_role,
        groups=[group],
    )
    session.add(edition)
    session.flush()
    ask_funder_questions(session, workshop)
    questions = ask_funder_questions(session, edition)
    for first, last, language, second_day in HELD_GROUP_PEOPLE:
        given = zip(questions, HELD_GROUP_ANSWERS[last], strict=True)
        person = Participant(
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@example.org",
            role=Role.FIELD_WORKER,
            language=language,
            answers={question.id: answer for question, answer in given if answer is not None},
        )
        registration = add_by_hand(session, edition, group, person, notify=False).registration
        for day, present in zip(group.dates, (True, second_day), strict=True):
            session.add(Attendance(registration=registration, session_date=day, present=present))
    session.flush()
    return edition


# The room each venue gives the trainings, seating the workshop's twenty and their trainers.
DEMO_ROOM = ("Salle de formation", 24)
# Who runs the sessions: the workshop's organisers and the office hours' team (example.org).
DEMO_TRAINERS = {
    EventKind.WORKSHOP: ("PhiloCité Recherches", "philocite@example.org", ["fr"]),
    EventKind.INFORMATION_SESSION: ("Réseau Egalité", "reseau-egalite@example.org", ["fr"]),
    EventKind.DROP_IN: ("Permanence ISP du CAI", "permanence-isp@example.org", ["fr", "en"]),
}


def add_places(session: Session) -> None:
    """Give every group its venue record, each venue a training room, and each group the
    trainers of its kind of event. Flushes."""
    trainers = {
        kind: Trainer(name=name, email=email, languages=languages)
        for kind, (name, email, languages) in DEMO_TRAINERS.items()
    }
    session.add_all(trainers.values())
    unplaced = select(Group).where(Group.venue_id.is_(None)).order_by(Group.id)
    for group in list(session.scalars(unplaced)):
        venue = venue_for_address(session, {f: getattr(group, f) for f in VENUE_FIELDS})
        if not venue.rooms:
            session.add(Room(venue=venue, name=DEMO_ROOM[0], capacity=DEMO_ROOM[1]))
            session.flush()
        group.venue = venue
        group.room = venue.rooms[0]
        group.trainers = [trainers[group.event.kind]]
    session.flush()


def database_is_empty(session: Session) -> bool:
    """Whether no event exists yet."""
    return session.scalar(select(Event.id).limit(1)) is None


def _local(moment: str, shift: timedelta) -> datetime:
    # Shift the wall-clock time, then localise: a date moved across a DST change keeps 9:30.
    return (datetime.fromisoformat(moment) + shift).replace(tzinfo=BRUSSELS)


def _add_event(session: Session, spec: dict[str, Any], shift: timedelta) -> Event:
    groups = [_group(group_spec, shift) for group_spec in spec["groups"]]
    first_start = min(d.starts_at for g in groups for d in g.dates)
    opens_weeks = spec.get("registration_opens_weeks_before")
    event = Event(
        slug=spec["slug"],
        kind=EventKind(spec["kind"]),
        attendance_rule=AttendanceRule(spec["attendance_rule"]),
        title=spec["title"],
        description=spec["description"],
        prerequisites=spec["prerequisites"],
        organiser_contact=spec["organiser_contact"],
        issuer=spec.get("issuer", ""),
        signatory_name=spec.get("signatory_name", ""),
        signatory_role=spec.get("signatory_role", {}),
        registration_opens_at=first_start - timedelta(weeks=opens_weeks) if opens_weeks else None,
        groups=groups,
    )
    for position, group in enumerate(groups):
        group.position = position
    session.add(event)
    session.flush()
    return event


def _group(spec: dict[str, Any], shift: timedelta) -> Group:
    fields = {
        k: v for k, v in spec.items() if k not in {"dates", "recurrence_rule", "excluded_dates"}
    }
    excluded = [
        (date.fromisoformat(day) + shift).isoformat() for day in spec.get("excluded_dates", [])
    ]
    dates = [
        SessionDate(
            starts_at=_local(start, shift),
            ends_at=_local(end, shift),
            recurrence_rule=spec.get("recurrence_rule"),
            excluded_dates=excluded,
        )
        for start, end in spec["dates"]
    ]
    return Group(**fields, dates=dates)
