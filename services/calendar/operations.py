"""Which dates each feed shows, what its content depends on, and how it is built.

A feed's fingerprint is read in one aggregate query over the groups and events it shows:
every write that changes what a group shows bumps ``Group.revision`` (and ``updated_at``),
so any change moves the fingerprint, and the cached feed is rebuilt only then (renaming a
room bumps the groups meeting in it). The trainer a trainer's feed is titled after is part
of its version too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache

from dateutil.rrule import rrulestr
from flask_babel import force_locale, gettext
from sqlalchemy import ColumnElement, ScalarSelect, func, or_, select, true
from sqlalchemy.orm import Session, contains_eager

from shared.access import events_run_by
from shared.database import utcnow
from shared.domain.attendance import scheduled_dates
from shared.domain.capacity import Place, place_of
from shared.domain.listing import public_clause
from shared.domain.registrations import registration_by_token
from shared.domain.staff_feeds import organiser_by_token, trainer_by_token, trainer_language
from shared.errors import NotFound
from shared.i18n import BRUSSELS, DEFAULT_LANGUAGE, current_language
from shared.ical import (
    CANCELLED,
    CONFIRMED,
    PUBLIC_FEED_PAST,
    TENTATIVE,
    EventWriter,
    Standing,
    new_calendar,
    serialise,
)
from shared.links import event_page
from shared.models import Event, Group, Registration, SessionDate, group_trainers

REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class Fingerprint:
    """What a feed's content depends on, read without building it."""

    version: str
    last_modified: datetime


@dataclass(frozen=True)
class FeedContext:
    """What a build needs besides the data: the language, the feed's own address, the time."""

    language: str
    source: str
    now: datetime


@dataclass(frozen=True)
class PublicFeed:
    """Sessions chosen by a condition on their group and event; no participant data."""

    key: str
    # Built when the database is asked, not on every request a fingerprint answers.
    condition: Callable[[], ColumnElement[bool]]
    # Open-ended feeds keep only upcoming and recent dates; an event's or a group's feed
    # is bounded already and shows them all.
    windowed: bool
    # Looked up only when the feed is built, in the feed's language.
    title: Callable[[Session], str]
    # A private feed (a trainer's, an organiser's planning) may be empty and names rooms.
    private: bool = False
    # Only an organiser's planning shows the dates of drafts.
    drafts: bool = False
    # When the row the title names (a trainer) last changed: not a group or an event.
    title_changed: datetime | None = None

    def shown(self) -> ColumnElement[bool]:
        """The feed's condition, on public events only unless it shows drafts."""
        return self.condition() if self.drafts else self.condition() & public_clause()

    def fingerprint(self, session: Session, now: datetime) -> Fingerprint:
        """The version of everything this feed shows; 404 when it matches nothing."""
        row = session.execute(
            select(
                func.count(Event.id),
                func.sum(Event.revision),
                func.max(Event.updated_at),
                func.coalesce(func.sum(Group.id), 0),
                func.coalesce(func.sum(Group.revision), 0),
                func.max(Group.updated_at),
                func.max(Event.registration_opens_at).filter(Event.registration_opens_at <= now),
                func.max(Event.registration_closes_at).filter(Event.registration_closes_at <= now),
                self._last_start(now),
            )
            .select_from(Event)
            .outerjoin(Event.groups)
            .where(self.shown())
        ).one()
        count, event_revisions, event_changed, group_ids, group_revisions, group_changed = row[:6]
        if not count and not self.private:
            raise NotFound()
        parts = [count, event_revisions, group_ids, group_revisions, event_changed, group_changed]
        # What a group offers changes without any write as its registration window opens and
        # closes and as its dates begin: each moment passed is part of the version.
        passed = [moment for moment in row[6:] if moment is not None]
        parts.extend(row[6:])
        changed = [moment for moment in (event_changed, group_changed) if moment is not None]
        changed.extend(passed)
        if self.title_changed is not None:
            parts.append(self.title_changed)
            changed.append(self.title_changed)
        if self.windowed:
            # The window moves daily: the feed may lose a date without any write.
            midnight = datetime.combine(now.date(), time(), UTC)
            parts.append(midnight.date())
            changed.append(midnight)
        return Fingerprint(":".join(str(part) for part in parts), max(changed))

    def _last_start(self, now: datetime) -> ScalarSelect[datetime]:
        """The latest start of a date of this feed that has begun by ``now``."""
        return (
            select(func.max(SessionDate.starts_at))
            .join(SessionDate.group)
            .join(Group.event)
            .where(self.shown(), SessionDate.starts_at <= now)
            .correlate(None)
            .scalar_subquery()
        )

    def build(self, session: Session, context: FeedContext) -> bytes:
        """The feed as iCalendar bytes."""
        query = (
            select(SessionDate)
            .join(SessionDate.group)
            .join(Group.event)
            .where(self.shown())
            .options(
                contains_eager(SessionDate.group).contains_eager(Group.event),
                # Seats left are in every description: counted in the same query.
                contains_eager(SessionDate.group).undefer(Group.confirmed_count),
                # Whether registration is open depends on each group's first held date.
                contains_eager(SessionDate.group).selectinload(Group.dates),
            )
            .order_by(SessionDate.starts_at, SessionDate.id)
        )
        if self.private:
            query = query.options(contains_eager(SessionDate.group).selectinload(Group.room))
        cutoff = context.now - PUBLIC_FEED_PAST
        if self.windowed:
            query = query.where(
                or_(
                    SessionDate.ends_at >= cutoff,
                    SessionDate.recurrence_rule.is_not(None),
                    SessionDate.cancelled_at >= cutoff,
                    Group.cancelled_at >= cutoff,
                )
            )
        dates = [
            session_date
            for session_date in session.scalars(query)
            if not self.windowed or _still_shown(session_date, cutoff)
        ]
        with force_locale(context.language):
            calendar = new_calendar(self.title(session), refresh=REFRESH, source=context.source)
            writer = EventWriter(context.language, context.now, rooms=self.private)
            for session_date in dates:
                url = event_page(session_date.group.event.slug)
                calendar.add_component(writer.event(session_date, url=url))
            return serialise(calendar)


@lru_cache(maxsize=1024)
def all_sessions_feed() -> PublicFeed:
    """Every upcoming and recent session.

    A feed's description holds no data, only how to find it: one per address is kept.
    """
    return PublicFeed("all", true, True, lambda _session: gettext("Toutes les séances"))


@lru_cache(maxsize=1024)
def town_feed(town_slug: str) -> PublicFeed:
    """Upcoming and recent sessions in one town; 404 for a town without any group."""

    def title(session: Session) -> str:
        town = session.scalar(select(Group.town).where(Group.town_slug == town_slug).limit(1))
        return gettext("Séances à %(town)s", town=town)

    return PublicFeed(f"town:{town_slug}", lambda: Group.town_slug == town_slug, True, title)


@lru_cache(maxsize=1024)
def event_feed(event_slug: str) -> PublicFeed:
    """Every date of one event; 404 for an unknown event."""

    def title(session: Session) -> str:
        event = session.scalars(select(Event).where(Event.slug == event_slug)).one()
        return event.localized("title", current_language())

    return PublicFeed(f"event:{event_slug}", lambda: Event.slug == event_slug, False, title)


@lru_cache(maxsize=1024)
def group_feed(group_id: int) -> PublicFeed:
    """Every date of one group, for an "add to calendar" button; 404 for an unknown group."""

    def title(session: Session) -> str:
        group = session.get_one(Group, group_id)
        return f"{group.event.localized('title', current_language())} — {group.name}"

    return PublicFeed(f"group:{group_id}", lambda: Group.id == group_id, False, title)


@dataclass(frozen=True)
class PrivateFeed:
    """A trainer's or an organiser's feed as its token opened it: what it shows, in which
    language, and the version of its data."""

    selection: PublicFeed
    language: str
    fingerprint: Fingerprint

    @property
    def key(self) -> str:
        """The cache key part: the trainer or organiser, never the token."""
        return self.selection.key

    def build(self, session: Session, context: FeedContext) -> bytes:
        """The feed as iCalendar bytes."""
        return self.selection.build(session, context)


def trainer_feed(
    session: Session, token: str, language: str | None, now: datetime | None = None
) -> PrivateFeed:
    """The published dates of the groups a trainer runs, held and called off, with their
    rooms; 410 for a replaced token, 404 revealing nothing else."""
    trainer = trainer_by_token(session, token)
    runs = select(group_trainers.c.group_id).where(group_trainers.c.trainer_id == trainer.id)
    name = trainer.name
    selection = PublicFeed(
        f"trainer:{trainer.id}",
        lambda: Group.id.in_(runs),
        True,
        lambda _session: gettext("Mes séances : %(name)s", name=name),
        private=True,
        title_changed=trainer.updated_at,
    )
    return _private_feed(session, selection, language or trainer_language(trainer), now)


def planning_feed(
    session: Session, token: str, language: str | None, now: datetime | None = None
) -> PrivateFeed:
    """The dates of the events an organiser runs (every event for an administrator), drafts
    included as on the planning page; 410 for a replaced token, 404 revealing nothing else."""
    organiser = organiser_by_token(session, token)
    runs = events_run_by(organiser).with_only_columns(Event.id)
    selection = PublicFeed(
        f"planning:{organiser.id}",
        lambda: Event.id.in_(runs),
        True,
        lambda _session: gettext("Planning des formations"),
        private=True,
        drafts=True,
    )
    return _private_feed(session, selection, language or DEFAULT_LANGUAGE, now)


def _private_feed(
    session: Session, selection: PublicFeed, language: str, now: datetime | None
) -> PrivateFeed:
    return PrivateFeed(selection, language, selection.fingerprint(session, now or utcnow()))


@dataclass(frozen=True)
class PersonalFeed:
    """One participant's dates with where they stand: reached by the calendar token only."""

    registration_id: int
    language: str
    fingerprint: Fingerprint

    @property
    def key(self) -> str:
        """The cache key part: the registration, never its token."""
        return f"personal:{self.registration_id}"

    def build(self, session: Session, context: FeedContext) -> bytes:
        """The feed as iCalendar bytes."""
        registration = session.get_one(Registration, self.registration_id)
        group = registration.group
        dates = scheduled_dates(registration)
        with force_locale(context.language):
            standing = _standing(registration, context.now)
            title = group.event.localized("title", context.language)
            calendar = new_calendar(
                gettext("Mes dates : %(title)s", title=title),
                refresh=REFRESH,
                source=context.source,
            )
            url = event_page(group.event.slug)
            writer = EventWriter(context.language, context.now)
            for session_date in dates:
                calendar.add_component(writer.event(session_date, url=url, standing=standing))
            return serialise(calendar)


def personal_feed(
    session: Session, token: str, language: str | None, now: datetime | None = None
) -> PersonalFeed:
    """The feed a calendar token opens: 410 for a replaced token, 404 revealing nothing else."""
    # Where a waitlisted participant stands changes without any write once their training
    # begins: the latest date of the group begun by ``now`` is part of the version.
    begun = SessionDate.starts_at <= (now or utcnow())
    last_start = (
        select(func.max(SessionDate.starts_at))
        .where(SessionDate.group_id == Group.id, begun)
        .scalar_subquery()
    )
    registration = registration_by_token(session, token, kind="calendar")
    row = session.execute(
        select(Group.revision, Group.updated_at, Event.revision, Event.updated_at, last_start)
        .join(Group.event)
        .where(Group.id == registration.group_id)
    ).one()
    versions = (registration.updated_at, *row)
    _, group_changed, _, event_changed, began = row
    changes = [registration.updated_at, group_changed, event_changed, *([began] if began else [])]
    return PersonalFeed(
        registration.id,
        language or registration.language,
        Fingerprint(":".join(str(part) for part in versions), max(changes)),
    )


@dataclass(frozen=True)
class FeedLink:
    """A feed the index page offers."""

    endpoint: str
    arguments: dict[str, str]
    label: str


def feed_links(session: Session, now: datetime) -> tuple[list[FeedLink], list[FeedLink]]:
    """The towns and the events that have upcoming or recent sessions, for the index page."""
    cutoff = now - PUBLIC_FEED_PAST
    shown = (
        select(Group.town_slug, Group.town, Event.slug, Event.title)
        .join(Group.event)
        .where(
            Group.cancelled_at.is_(None),
            public_clause(),
            Group.dates.any(
                or_(SessionDate.ends_at >= cutoff, SessionDate.recurrence_rule.is_not(None))
            ),
        )
    )
    towns: dict[str, str] = {}
    events: dict[str, str] = {}
    language = current_language()
    for town_slug, town, event_slug, title in session.execute(shown):
        towns[town_slug] = town
        events[event_slug] = title.get(language) or title.get(DEFAULT_LANGUAGE) or event_slug
    return (
        [
            FeedLink("feeds.town", {"town_slug": slug}, name)
            for slug, name in sorted(towns.items(), key=lambda item: item[1])
        ],
        [
            FeedLink("feeds.event", {"event_slug": slug}, title)
            for slug, title in sorted(events.items(), key=lambda item: item[1])
        ],
    )


def _still_shown(session_date: SessionDate, cutoff: datetime) -> bool:
    """Whether a date selected by the window query belongs in it: a recurring date only
    while it recurs after the cutoff (or was cancelled since)."""
    if not session_date.recurrence_rule or session_date.ends_at >= cutoff:
        return True
    if any(
        moment is not None and moment >= cutoff
        for moment in (session_date.cancelled_at, session_date.group.cancelled_at)
    ):
        return True
    start = session_date.starts_at.astimezone(BRUSSELS)
    rule = rrulestr(session_date.recurrence_rule, dtstart=start)
    return rule.after(cutoff) is not None


def _standing(registration: Registration, now: datetime) -> Standing:
    """Where the participant stands at ``now``, worded in the current language."""
    changed = registration.updated_at
    place = place_of(registration, now)
    if place is Place.CANCELLED:
        return Standing(CANCELLED, gettext("inscription annulée"), changed, 2)
    if place is Place.UNCONFIRMED:
        # Not a participant until confirmed from the email: held only, never shown as certain.
        return Standing(TENTATIVE, gettext("à confirmer depuis l'e-mail reçu"), changed, 0)
    if place is Place.WAITING:
        label = gettext(
            "liste d'attente, position %(position)d", position=registration.waitlist_position or 0
        )
        return Standing(TENTATIVE, label, changed, 0)
    if place is Place.NO_PLACE:
        # They will not come: shown as called off for them. An organiser may still confirm
        # them by hand, a newer version at the same sequence step as any confirmation.
        return Standing(CANCELLED, gettext("aucune place ne vous sera attribuée"), changed, 1)
    return Standing(CONFIRMED, gettext("inscription confirmée"), changed, 1)
