"""Registrations for one group reaching one process together share one lock and one
transaction and keep their order; a refused one spoils nobody else's."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from services.registration.participant import operations
from shared.domain import admissions, registrations
from shared.domain.registration_questions import replace_questions
from shared.errors import InvalidRequest
from shared.models import Event, Group, OutboxMessage, Registration, RegistrationStatus
from tests.registration.helpers import registration_body
from tests.support.databases import waiting_on_a_transaction
from tests.support.factories import Factory
from tests.support.mail import eventually

ARRIVALS = 6
CAPACITY = 2


@pytest.fixture
def group_slug(engine) -> str:
    with Session(engine) as session:
        factory = Factory(session)
        return factory.group(factory.event(slug="rush"), slug="jambes", capacity=CAPACITY).slug


def revision(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(Group.revision))


def post(app: Flask, body: dict) -> Any:
    """Send one registration for the rush event, on a client of its own."""
    return app.test_client().post("/api/v1/events/rush/registrations", json=body)


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The addresses of the registrations that joined a batch, in the order they joined."""
    joined: list[str] = []
    join = admissions.batches.join

    def recorded(key: Any, arrival: admissions.Arrival) -> bool:
        leads = join(key, arrival)
        joined.append(arrival.registration.email)
        return leads

    monkeypatch.setattr(admissions.batches, "join", recorded)
    return joined


def register_while_locked(
    app: Flask, engine: Engine, queued: list[str], bodies: list[dict]
) -> list:
    """Send ``bodies`` on threads of their own while another connection holds the group's
    lock, each once the one before has joined the batch (the first once PostgreSQL shows it
    waiting for the lock), then release it; the responses, in the order sent."""
    responses: list = [None] * len(bodies)
    queued.clear()  # of registrations sent before

    def send(index: int) -> None:
        responses[index] = post(app, bodies[index])

    with engine.connect() as holder:
        holder.execute(update(Group).values(revision=Group.revision + 1))
        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
        for index, thread in enumerate(threads):
            thread.start()
            joined = index + 1
            eventually(lambda joined=joined: len(queued) == joined, what=f"arrival {joined}")
            if index == 0:
                eventually(lambda: waiting_on_a_transaction(engine), what="the leader's lock wait")
        assert queued == [body["email"] for body in bodies]
        holder.commit()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_registrations_queued_together_share_one_lock_and_keep_their_order(
    server_app, engine, group_slug, queued
):
    before = revision(engine)
    bodies = [
        registration_body(group_slug, email=f"person{i}@example.org") for i in range(ARRIVALS)
    ]

    responses = register_while_locked(server_app, engine, queued, bodies)

    assert [response.status_code for response in responses] == [201] * ARRIVALS
    answers = [(r.json["status"], r.json["waitlist_position"]) for r in responses]
    assert answers == [("confirmed", None)] * CAPACITY + [
        ("waitlisted", position) for position in range(1, ARRIVALS - CAPACITY + 1)
    ]
    # The holder's change, then one for the first arrival, which took the lock for them all.
    assert revision(engine) - before == 2
    with Session(engine) as session:
        rows = session.scalars(select(Registration).order_by(Registration.id)).all()
    assert [row.email for row in rows] == [body["email"] for body in bodies]
    assert sum(row.status is RegistrationStatus.CONFIRMED for row in rows) == CAPACITY
    assert [r.json["id"] for r in responses] == [row.id for row in rows]


def test_the_answers_of_a_batch_are_written_in_its_transaction(
    server_app, engine, group_slug, queued
):
    with Session(engine) as session:
        event = session.scalars(select(Event).where(Event.slug == "rush")).one()
        [question] = replace_questions(
            session, event, [{"kind": "text", "wording": {"fr": "Service"}}]
        )
        session.commit()
        question_id = question.id
    bodies = [
        registration_body(
            group_slug, email=f"person{i}@example.org", answers={str(question_id): f"S{i}"}
        )
        for i in range(3)
    ]

    responses = register_while_locked(server_app, engine, queued, bodies)

    assert [response.status_code for response in responses] == [201] * 3
    with engine.connect() as connection:
        # Each answer in the transaction that wrote its registration: the leader's, one for all.
        rows = connection.execute(
            text(
                "SELECT r.email, a.value #>> '{}', r.xmin::text, a.xmin::text "
                "FROM registrations r JOIN registration_answers a ON a.registration_id = r.id "
                "ORDER BY r.id"
            )
        ).all()
    assert [(email, value) for email, value, _r, _a in rows] == [
        (f"person{i}@example.org", f"S{i}") for i in range(3)
    ]
    transactions = {written for *_row, written, _a in rows} | {answered for *_row, answered in rows}
    assert len(transactions) == 1


def test_a_duplicate_in_a_batch_is_refused_and_the_others_admitted(
    server_app, engine, group_slug, queued
):
    bodies = [registration_body(group_slug, email=f"person{i}@example.org") for i in range(4)]
    bodies[3] = registration_body(group_slug, email="Person1@example.org")

    responses = register_while_locked(server_app, engine, queued, bodies)

    # The batch falls apart and each is admitted on its own: one of the person's two
    # requests wins (the lock decides which), the other is refused.
    statuses = [response.status_code for response in responses]
    assert statuses[0] == statuses[2] == 201
    assert sorted([statuses[1], statuses[3]]) == [201, 409]
    refused = responses[1] if statuses[1] == 409 else responses[3]
    assert refused.json["code"] == "already_registered"
    with Session(engine) as session:
        emails = session.scalars(select(Registration.email_normalized)).all()
    assert sorted(emails) == ["person0@example.org", "person1@example.org", "person2@example.org"]


def test_an_address_registered_in_another_group_is_refused_alone(
    server_app, engine, group_slug, queued
):
    with Session(engine) as session:
        factory = Factory(session)
        other = factory.group(session.scalar(select(Group).where(Group.slug == group_slug)).event)
        other_slug = other.slug
    earlier = post(server_app, registration_body(other_slug, email="person1@example.org"))
    bodies = [registration_body(group_slug, email=f"person{i}@example.org") for i in range(3)]

    responses = register_while_locked(server_app, engine, queued, bodies)

    assert earlier.status_code == 201
    assert [response.status_code for response in responses] == [201, 409, 201]
    assert responses[1].json["code"] == "already_registered"
    assert [r.json["status"] for r in (responses[0], responses[2])] == ["confirmed"] * 2


def test_an_address_taken_during_the_batch_costs_the_leader_a_retry(
    server_app, engine, group_slug, queued, monkeypatch
):
    with Session(engine) as session:
        event = session.scalar(select(Group).where(Group.slug == group_slug)).event
        other_id = Factory(session).group(event).id
    write = registrations._write

    def write_after_a_rival(session: Session, batch: list[Registration]) -> None:
        if len(batch) > 1:
            # Between the count and the insert, person2 registers for the event's other
            # group, under that group's lock, and commits.
            with Session(engine) as rival:
                Factory(rival).registration(rival.get(Group, other_id), email="person2@example.org")
        write(session, batch)

    monkeypatch.setattr(registrations, "_write", write_after_a_rival)
    bodies = [registration_body(group_slug, email=f"person{i}@example.org") for i in range(3)]

    responses = register_while_locked(server_app, engine, queued, bodies)

    assert [response.status_code for response in responses] == [503, 201, 409]
    assert responses[0].headers["Retry-After"]
    with Session(engine) as session:
        in_group = session.scalars(
            select(Registration.email).join(Group).where(Group.slug == group_slug)
        ).all()
    assert in_group == ["person1@example.org"]


def test_when_the_leaders_transaction_fails_the_others_are_admitted_alone(
    server_app, engine, group_slug, queued, monkeypatch
):
    register = operations.register_participant

    def register_then_fail_for_person0(session: Session, event_slug: str, data: dict):
        registration = register(session, event_slug, data)
        if data["email"] == "person0@example.org":
            # After the batch was admitted in person0's transaction, before its commit.
            raise InvalidRequest()
        return registration

    monkeypatch.setattr(operations, "register_participant", register_then_fail_for_person0)
    bodies = [registration_body(group_slug, email=f"person{i}@example.org") for i in range(3)]

    responses = register_while_locked(server_app, engine, queued, bodies)

    assert [response.status_code for response in responses] == [422, 201, 201]
    assert [r.json["status"] for r in responses[1:]] == ["confirmed", "confirmed"]
    # Each on its own, in the order the lock decides.
    with Session(engine) as session:
        emails = session.scalars(select(Registration.email)).all()
    assert sorted(emails) == ["person1@example.org", "person2@example.org"]


def test_a_queued_registration_whose_batch_outlasts_its_wait_is_told_to_retry_and_not_stored(
    server_app, engine, group_slug, queued, monkeypatch
):
    # The leader's transaction takes longer than the others may wait (here: any time at all).
    monkeypatch.setattr(admissions, "WAIT_S", 0)
    bodies = [registration_body(group_slug, email=f"person{i}@example.org") for i in range(2)]

    responses = register_while_locked(server_app, engine, queued, bodies)

    assert [response.status_code for response in responses] == [201, 503]
    assert responses[1].json["code"] == "busy"
    assert responses[1].headers["Retry-After"]
    with Session(engine) as session:
        stored = session.execute(select(Registration.id, Registration.email)).all()
        emails_for = session.scalars(select(OutboxMessage.registration_id)).all()
    assert [email for _id, email in stored] == ["person0@example.org"]
    assert emails_for == [stored[0].id]  # no confirmation for the refused one either
