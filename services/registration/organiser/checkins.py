"""Check-in at the door: marks of presence sent by a scanning phone, one or a day's offline
queue at once, and the compact list of a date's codes the phone keeps to work offline.

A mark names the holder by their check-in code (a scan) or by registration id (a search by
name). Marking is idempotent: a person already marked present on the date stays marked once,
at the first recorded moment, whoever sends the mark again and from whichever door. Each mark
that records presence is written to the audit log as the roster's marks are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import LazyString
from sqlalchemy import Row, and_, select, update

from services.registration import audit
from services.registration.lookups import find_date
from services.registration.organiser.actions import Organising
from services.registration.organiser.schemas.checkins import REFUSED
from shared.database import insert_missing, utcnow
from shared.domain import closing as closing_rules
from shared.domain.attendance import (
    check_date_open,
    concerns,
    presence_window_closes,
    scheduled_dates,
)
from shared.domain.checkin import (
    REFUSALS,
    Outcome,
    checkin_code,
    code_digest,
    code_standing,
    holder_id,
    standing_on,
    time_refusals,
)
from shared.models import Attendance, Registration, RegistrationStatus, SessionDate
from shared.tokens import secret_key


class HolderRow(NamedTuple):
    """A registration a mark names, with its mark on the date if any: read as a plain
    tuple, since each mark reads a dozen of its fields and a Row's cost ten times more."""

    id: int
    event_id: int
    group_id: int
    session_date_id: int | None
    status: RegistrationStatus
    first_name: str | None
    anonymised_at: datetime | None
    checkin_code_version: int
    attendance_id: int | None
    present: bool | None
    marked_at: datetime | None


# The columns of a HolderRow, in its order: a queue names hundreds of them.
HOLDER_COLUMNS = (
    Registration.id,
    Registration.event_id,
    Registration.group_id,
    Registration.session_date_id,
    Registration.status,
    Registration.first_name,
    Registration.anonymised_at,
    Registration.checkin_code_version,
    Attendance.id.label("attendance_id"),
    Attendance.present,
    Attendance.marked_at,
)


# An attendance row's unique key: one mark per person and date.
KEY = ("registration_id", "session_date_id")


@dataclass(slots=True)
class Answer:
    """What one mark answered: the holder's first name, and where they are expected when
    it is another group or date of the event."""

    outcome: Outcome
    first_name: str | None = None
    registration_id: int | None = None
    group: str | None = None
    dates: list[datetime] = field(default_factory=list)
    recorded_at: datetime | None = None


@dataclass
class CheckinReport:
    """The answers to a batch of marks, in its order, and the refused ones' messages by
    field (``marks.<index>.<field>``)."""

    answers: list[Answer] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DateCodes:
    """What a phone keeps to check people in on a date without network."""

    session_date: SessionDate
    keep_until: datetime
    people: list[dict[str, Any]]


def open_date(by: Organising, date_id: int) -> SessionDate:
    """The event's date, if presence may be recorded on it now: held (409 otherwise) and
    within its window for this organiser (422 before its day, 403 after the window)."""
    session_date = find_date(by.event, date_id)
    check_date_open(session_date, now=utcnow(), by_admin=by.organiser.is_admin)
    return session_date


def date_codes(by: Organising, date_id: int) -> DateCodes:
    """The digests of the codes of everyone expected on the date, with their first names and
    when they were marked present: nothing else leaves the server."""
    session_date = find_date(by.event, date_id)
    registrations = by.session.scalars(
        select(Registration).where(
            Registration.group_id == session_date.group_id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.anonymised_at.is_(None),
        )
    ).all()
    recorded = _present_at(_marks_of(by, session_date, [r.id for r in registrations]))
    people = [
        {
            "id": registration.id,
            "digest": code_digest(checkin_code(registration)),
            "first_name": registration.first_name,
            "recorded_at": recorded.get(registration.id),
        }
        for registration in registrations
        if concerns(registration, session_date)
    ]
    return DateCodes(session_date, presence_window_closes(session_date), people)


def check_in(by: Organising, date_id: int, marks: Sequence[dict[str, Any]]) -> CheckinReport:
    """Record the presence each mark proves on the date; refuse, on its field, each mark
    whose code or moment proves nothing, and keep the others."""
    session_date = open_date(by, date_id)
    # Each mark's holder, read from its code once: it chooses both the rows to load and the
    # row the mark is answered from.
    named = [_named(mark) for mark in marks]
    holders = _holders(by, session_date, named)
    recorded = _present_at(holders)
    # What every mark of the queue is checked against, reckoned once.
    rules = _Rules(session_date, time_refusals(session_date, utcnow()), secret_key())
    report = CheckinReport()
    new_marks: dict[int, datetime] = {}
    for index, (mark, identifier) in enumerate(zip(marks, named, strict=True)):
        if REFUSED in mark:
            report.answers.append(Answer(Outcome.INVALID))
            for name, messages in mark[REFUSED].items():
                report.errors[f"marks.{index}.{name}"] = messages
            continue
        holder = holders.get(identifier) if identifier is not None else None
        answer, refused_field, refusal = _answer(rules, mark, holder)
        if answer.outcome is Outcome.PRESENT:
            assert answer.registration_id is not None
            earlier = recorded.get(answer.registration_id) or new_marks.get(answer.registration_id)
            if earlier is not None:
                answer.outcome, answer.recorded_at = Outcome.ALREADY_RECORDED, earlier
            else:
                new_marks[answer.registration_id] = answer.recorded_at = mark["marked_at"]
        if refused_field is not None:
            message = refusal or REFUSALS[answer.outcome]
            report.errors[f"marks.{index}.{refused_field}"] = [str(message)]
        report.answers.append(answer)
    _say_where_expected(by, report.answers)
    winners = _record(by, session_date, holders, new_marks)
    for answer in report.answers:
        won = winners.get(answer.registration_id or 0)
        if answer.outcome is Outcome.PRESENT and won is not None and won != answer.recorded_at:
            # Another door's mark for the same person was committed first.
            answer.outcome, answer.recorded_at = Outcome.ALREADY_RECORDED, won
    return report


def _named(mark: dict[str, Any]) -> int | None:
    """The registration id a mark names, by its code or directly; None for a refused mark or
    text of no code's form."""
    return holder_id(mark["code"]) if "code" in mark else mark.get("registration")


def _holders(
    by: Organising, session_date: SessionDate, named: Sequence[int | None]
) -> dict[int, HolderRow]:
    """The registrations the marks name, each with its mark on the date if any: the date's
    group's in one query of a constant form, and only if a mark names someone else, those
    of the event in a second."""
    ids = set(named)
    ids.discard(None)
    if not ids:
        return {}
    with_mark = select(*HOLDER_COLUMNS).outerjoin(
        Attendance,
        and_(
            Attendance.registration_id == Registration.id,
            Attendance.session_date_id == session_date.id,
        ),
    )
    found = by.session.execute(with_mark.where(Registration.group_id == session_date.group_id))
    holders = {holder.id: holder for holder in map(HolderRow._make, found)}
    others = ids - holders.keys()
    if others:
        found = by.session.execute(
            with_mark.where(Registration.id.in_(others), Registration.event_id == by.event.id)
        )
        holders.update((holder.id, holder) for holder in map(HolderRow._make, found))
    return holders


def _marks_of(
    by: Organising, session_date: SessionDate, registration_ids: list[int]
) -> dict[int, Row[Any]]:
    """The date's recorded marks, present or absent, of these registrations (``id``,
    ``present``, ``marked_at``): rows, not objects, so that marking them present by id
    leaves no stale copy in the session."""
    if not registration_ids:
        return {}
    rows = by.session.execute(
        select(
            Attendance.registration_id, Attendance.id, Attendance.present, Attendance.marked_at
        ).where(
            Attendance.session_date_id == session_date.id,
            Attendance.registration_id.in_(registration_ids),
        )
    )
    return {row.registration_id: row for row in rows}


def _present_at(marks: Mapping[int, Row[Any] | HolderRow]) -> dict[int, datetime]:
    return {i: row.marked_at for i, row in marks.items() if row.present}


@dataclass(frozen=True, slots=True)
class _Rules:
    """What each mark of a queue is checked against: the open date (:func:`open_date`), the
    rule of its moment, and the secret key its code is derived under."""

    session_date: SessionDate
    time_refusal: Callable[[datetime], LazyString | None]
    secret: str


def _answer(
    rules: _Rules, mark: dict[str, Any], holder: HolderRow | None
) -> tuple[Answer, str | None, LazyString | None]:
    """The mark's answer, the field it is refused on (None when it records presence), and
    why when its outcome does not say; ``holder`` is the registration the mark names."""
    if "code" in mark:
        code_outcome = code_standing(holder, mark["code"], secret=rules.secret)
        if code_outcome is not None:
            return Answer(code_outcome), "code", None
    elif holder is None or holder.anonymised_at is not None:
        return Answer(Outcome.UNKNOWN), "registration", None
    assert holder is not None
    answer = Answer(Outcome.PRESENT, first_name=holder.first_name, registration_id=holder.id)
    # The roster's own rule (its date's half was asked once, by open_date).
    standing = standing_on(holder, rules.session_date)
    if standing is not None:
        answer.outcome = standing
        return answer, "code" if "code" in mark else "registration", None
    refusal = rules.time_refusal(mark["marked_at"])
    if refusal is not None:
        refused = Answer(Outcome.REFUSED_TIME, first_name=holder.first_name)
        return refused, "marked_at", refusal
    return answer, None, None


def _say_where_expected(by: Organising, answers: list[Answer]) -> None:
    """Name, in each answer of a holder expected elsewhere, their group and dates: the few
    such holders are loaded as registrations, in one query."""
    elsewhere = [a for a in answers if a.outcome is Outcome.ELSEWHERE]
    if not elsewhere:
        return
    ids = {a.registration_id for a in elsewhere}
    found = by.session.scalars(select(Registration).where(Registration.id.in_(ids)))
    registrations = {registration.id: registration for registration in found}
    for answer in elsewhere:
        registration = registrations[answer.registration_id]
        answer.group = registration.group.name
        answer.dates = [d.starts_at for d in scheduled_dates(registration)]


def _record(
    by: Organising,
    session_date: SessionDate,
    holders: dict[int, HolderRow],
    marked_at: dict[int, datetime],
) -> dict[int, datetime]:
    """Write the new marks of presence, in one statement (and those marked absent earlier,
    in another); the moments recorded, by registration, which are another door's where its
    mark was committed first."""
    if not marked_at:
        return {}
    date_id = session_date.id
    shared = {"session_date_id": date_id, "present": True, "marked_by_id": by.organiser.id}
    absent = {
        i: holders[i].attendance_id for i in marked_at if holders[i].attendance_id is not None
    }
    _overturn_absences(by, absent, marked_at, shared)
    new = [i for i in marked_at if i not in absent]
    columns = {"registration_id": new, "marked_at": [marked_at[i] for i in new]}
    beaten = {i for i, _date in insert_missing(by.session, Attendance, columns, KEY, shared=shared)}
    recorded = dict(marked_at)
    if beaten:
        # Another door's presence, committed first, stands; an absence the roster recorded
        # meanwhile gives way to the door's mark, as one recorded earlier does.
        winners = _marks_of(by, session_date, list(beaten))
        turned = {i: row.id for i, row in winners.items() if not row.present}
        _overturn_absences(by, turned, marked_at, shared)
        absent |= turned
        recorded.update({i: row.marked_at for i, row in winners.items() if row.present})
    written = [*absent, *(i for i in new if i not in beaten)]
    audit.record_each(
        by.session,
        by.organiser,
        "attendance.checked_in",
        event=by.event,
        changes=[(i, {"date_id": date_id, "at": marked_at[i].isoformat()}) for i in written],
    )
    closing_rules.follow_late_presences(by.session, session_date.group, written)
    return recorded


def _overturn_absences(
    by: Organising,
    absences: dict[int, int],
    marked_at: dict[int, datetime],
    shared: dict[str, Any],
) -> None:
    """Mark present, in one statement, those whose mark on the date says absent (their
    registration id, then their mark's)."""
    if absences:
        by.session.execute(
            update(Attendance),
            [
                {"id": mark_id, "registration_id": i, "marked_at": marked_at[i]} | shared
                for i, mark_id in absences.items()
            ],
        )
