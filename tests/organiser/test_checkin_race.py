"""A door's queue meeting a mark of the same person written at the same moment elsewhere, on
PostgreSQL: each finds no mark yet and inserts; the door's insert waits on the other row, and
once that commits skips its own. The overlap is forced: the other mark is committed only
after the door's request waits on it. Another door's presence stands, and the door is told
so; an absence recorded meanwhile on the roster gives way to the door's presence.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services.registration.accounts.auth import issue_token
from shared.database import utcnow
from shared.i18n import BRUSSELS
from shared.models import Attendance, AuditEntry, Organiser
from tests.organiser.conftest import held_group, registered_before
from tests.organiser.test_checkins import checkins_url, code_of
from tests.support.databases import waiting_on_a_transaction
from tests.support.factories import Factory
from tests.support.mail import eventually


@dataclass(frozen=True)
class Door:
    """A date held today, two people expected, the other place's organiser and the door's
    token."""

    url: str
    token: str
    date_id: int
    other_place_id: int
    olena: tuple[int, str]  # registration id, check-in code
    bruno: tuple[int, str]


@pytest.fixture
def door(server_app: Flask, engine: Engine) -> Door:
    with server_app.app_context(), Session(engine) as session:
        make = Factory(session)
        group = held_group(make, days_ago=(0,))
        olena, bruno = (registered_before(make, group, first_name=n) for n in ("Olena", "Bruno"))
        organisers = [Organiser(email=f"door{n}@example.org", password_hash="-") for n in (1, 2)]
        for organiser in organisers:
            organiser.events.append(group.event)
        session.add_all(organisers)
        session.flush()
        _row, token = issue_token(session, organisers[1])
        session.commit()
        return Door(
            url=checkins_url(group.dates[0]),
            token=token,
            date_id=group.dates[0].id,
            other_place_id=organisers[0].id,
            olena=(olena.id, code_of(olena)),
            bruno=(bruno.id, code_of(bruno)),
        )


def sent_meanwhile(
    server_app: Flask,
    engine: Engine,
    door: Door,
    elsewhere: dict[str, Any],
    marks: list[dict[str, str]],
) -> Any:
    """The door's answer to ``marks``, sent while Olena's mark ``elsewhere`` is written but
    not yet committed, which it is once the door waits on it."""
    answered: list[Any] = []

    def send() -> None:
        answered.append(
            server_app.test_client().post(
                door.url, json={"marks": marks}, headers={"Authorization": f"Bearer {door.token}"}
            )
        )

    with Session(engine) as other_place:
        other_place.add(
            Attendance(
                registration_id=door.olena[0],
                session_date_id=door.date_id,
                marked_by_id=door.other_place_id,
                **elsewhere,
            )
        )
        other_place.flush()
        thread = threading.Thread(target=send)
        thread.start()
        eventually(lambda: waiting_on_a_transaction(engine) == 1, what="the door's wait")
        other_place.commit()
    thread.join(timeout=10)
    (response,) = answered
    return response


def stored(engine: Engine) -> tuple[dict[int, tuple[bool, datetime]], list[int]]:
    """Each person's mark (present, moment), and whom the door's check-ins journalled."""
    with Session(engine) as session:
        marks = session.execute(
            select(Attendance.registration_id, Attendance.present, Attendance.marked_at)
        )
        journalled = session.scalars(
            select(AuditEntry.registration_id).where(AuditEntry.action == "attendance.checked_in")
        )
        return {i: (present, at) for i, present, at in marks}, sorted(journalled)


def local_moment(minutes_ago: int) -> datetime:
    return (utcnow() - timedelta(minutes=minutes_ago)).astimezone(BRUSSELS)


def test_another_doors_mark_committed_first_stands_and_the_rest_of_the_queue_is_kept(
    server_app, engine, door
):
    first_at, olena_at, bruno_at = local_moment(3), local_moment(2), local_moment(1)
    marks = [
        {"code": door.olena[1], "marked_at": olena_at.isoformat()},
        {"code": door.bruno[1], "marked_at": bruno_at.isoformat()},
    ]

    response = sent_meanwhile(
        server_app, engine, door, {"present": True, "marked_at": first_at}, marks
    )

    assert response.status_code == 200
    assert response.json["errors"] == {}
    assert [(a["outcome"], a["recorded_at"]) for a in response.json["answers"]] == [
        ("already_recorded", first_at.isoformat()),
        ("present", bruno_at.isoformat()),
    ]
    assert stored(engine) == (
        {door.olena[0]: (True, first_at), door.bruno[0]: (True, bruno_at)},
        [door.bruno[0]],
    )


def test_an_absence_recorded_meanwhile_gives_way_to_the_doors_presence(server_app, engine, door):
    olena_at = local_moment(1)
    marks = [{"code": door.olena[1], "marked_at": olena_at.isoformat()}]

    response = sent_meanwhile(
        server_app, engine, door, {"present": False, "marked_at": local_moment(5)}, marks
    )

    assert response.status_code == 200
    assert [(a["outcome"], a["recorded_at"]) for a in response.json["answers"]] == [
        ("present", olena_at.isoformat())
    ]
    assert stored(engine) == ({door.olena[0]: (True, olena_at)}, [door.olena[0]])
