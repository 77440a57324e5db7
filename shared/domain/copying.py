"""Copy an event to a new slug for another season: its texts, groups with their venues,
rooms and trainers, held dates moved by whole weeks (or so that the first falls on a given
day), questionnaire, registration questions and signatory. Never its registrations,
presence, certificates or journal. The copy starts as a draft (``Event.published``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.domain.attendance import held_dates, is_held
from shared.domain.schedule import LONGEST_SHIFT_DAYS, Clash, clashes, refuse_clashes, shifted
from shared.errors import InvalidRequest
from shared.i18n import BRUSSELS
from shared.models import (
    EvaluationQuestion,
    Event,
    Group,
    Organiser,
    RegistrationQuestion,
    SessionDate,
)

# What an event says of itself, copied as it is.
EVENT_TEXTS = (
    "title",
    "description",
    "prerequisites",
    "kind",
    "attendance_rule",
    "language",
    "organiser_contact",
    "price",
    "issuer",
    "signatory_name",
    "signatory_role",
    "confirmation_hours",
    "asked_questions",
)
GROUP_FIELDS = (
    "slug",
    "name",
    "position",
    "venue_name",
    "street_address",
    "postcode",
    "town",
    "town_slug",
    "latitude",
    "longitude",
    "capacity",
    "venue_id",
    "room_id",
)
REGISTRATION_QUESTION_FIELDS = (
    "position",
    "kind",
    "wording",
    "help",
    "required",
    "hidden",
    "choices",
    "minimum",
    "maximum",
    "condition_choice",
    "indicator",
)


def refuse_taken_slug(session: Session, slug: str) -> None:
    """Refuse (422 on ``slug``) a slug another event already has."""
    if session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
        raise InvalidRequest(errors={"slug": [_l("Cet identifiant est déjà pris.")]})


@dataclass(frozen=True)
class CopiedGroup:
    """A group as its copy will meet: its held dates moved, and what they would clash with."""

    source: Group
    slots: list[tuple[datetime, datetime]]
    clashes: list[Clash]


@dataclass(frozen=True)
class CopyPlan:
    """What copying an event creates, read before anything is written."""

    source: Event
    slug: str
    days: int
    groups: list[CopiedGroup]

    @property
    def clashes(self) -> list[Clash]:
        """Every clash of every copied date."""
        return [clash for group in self.groups for clash in group.clashes]


def _first_day(event: Event) -> date | None:
    starts = [d.starts_at for g in event.groups for d in g.dates if is_held(d)]
    return min(starts).astimezone(BRUSSELS).date() if starts else None


def shift_days(event: Event, weeks: int | None, first_day: date | None) -> int:
    """The days every date moves by: whole ``weeks``, or as far as brings the event's first
    held date to ``first_day``; refused (422) when that moves nothing or beyond two years."""
    if weeks is not None:
        return weeks * 7
    first = _first_day(event)
    if first is None or first_day is None:
        raise InvalidRequest(
            errors={"first_day": [_l("Cet événement n'a aucune date à déplacer.")]}
        )
    if first_day == first:
        raise InvalidRequest(
            errors={"first_day": [_l("C'est déjà le premier jour de l'événement.")]}
        )
    if abs((first_day - first).days) > LONGEST_SHIFT_DAYS:
        raise InvalidRequest(errors={"first_day": [_l("Au plus deux ans avant ou après.")]})
    return (first_day - first).days


def plan_copy(
    session: Session, event: Event, slug: str, *, weeks: int | None, first_day: date | None
) -> CopyPlan:
    """What copying ``event`` to ``slug`` would create, with the copied dates' clashes;
    refused (422) for a taken slug. Writes nothing."""
    refuse_taken_slug(session, slug)
    days = shift_days(event, weeks, first_day)
    groups = []
    for group in event.groups:
        if group.is_cancelled:
            continue
        held = held_dates(group)
        slots = [(shifted(d.starts_at, days), shifted(d.ends_at, days)) for d in held]
        # The copy keeps the source's room and trainers: the source's own dates may clash.
        found = clashes(session, group, slots)
        groups.append(CopiedGroup(group, slots, found))
    return CopyPlan(event, slug, days, groups)


def copy_event(session: Session, plan: CopyPlan, by: Organiser, *, force: bool = False) -> Event:
    """Create the planned copy as a draft run by the source's team and ``by``; refused
    (409 schedule_conflict) if a copied date clashes, unless ``force``."""
    source = plan.source
    for planned in sorted(plan.groups, key=lambda p: p.source.id):
        refuse_clashes(session, planned.source, planned.slots, force=force)
    copy = Event(slug=plan.slug, published=False)
    session.add(copy)
    for field in EVENT_TEXTS:
        setattr(copy, field, getattr(source, field))
    for field in ("registration_opens_at", "registration_closes_at"):
        moment = getattr(source, field)
        setattr(copy, field, None if moment is None else shifted(moment, plan.days))
    copy.organisers = list(dict.fromkeys([*source.organisers, by]))
    copy.groups = [_group_copy(planned, plan.days) for planned in plan.groups]
    copy.questions = [
        EvaluationQuestion(position=q.position, kind=q.kind, wording=dict(q.wording))
        for q in source.questions
    ]
    copy.registration_questions = _registration_questions(source)
    session.flush()
    return copy


def _group_copy(planned: CopiedGroup, days: int) -> Group:
    source = planned.source
    group = Group(**{field: getattr(source, field) for field in GROUP_FIELDS})
    group.trainers = list(source.trainers)
    held = held_dates(source)
    group.dates = [
        SessionDate(
            starts_at=start,
            ends_at=end,
            recurrence_rule=d.recurrence_rule,
            excluded_dates=[(day + timedelta(days=days)).isoformat() for day in d.excluded],
        )
        for d, (start, end) in zip(held, planned.slots, strict=True)
    ]
    return group


def _registration_questions(source: Event) -> list[RegistrationQuestion]:
    copies = {
        q.id: RegistrationQuestion(
            **{field: getattr(q, field) for field in REGISTRATION_QUESTION_FIELDS}
        )
        for q in source.registration_questions
    }
    # A question shown on an earlier one's answer keeps that condition, on the copy.
    for q in source.registration_questions:
        if q.condition_question_id is not None and q.condition_question_id in copies:
            copies[q.id].condition_question = copies[q.condition_question_id]
    return list(copies.values())
