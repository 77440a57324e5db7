"""What one registration costs: its database statements are counted so that the busiest
request of the service cannot grow silently; it commits once and builds no schema. Raising a
budget is a decision, made here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.registration.participant.schemas import RegistrationCreateSchema
from tests.registration.helpers import register, registration_body
from tests.support.databases import data_statements, listening


def test_one_registration_costs_five_statements(app, client, make):
    group = make.group()
    # Outside the count: the test's own reading of the group and its event.
    url = f"/api/v1/events/{group.event.slug}/registrations"
    body = registration_body(group.slug)
    response, statements = data_statements(
        app.extensions["database"].engine, lambda: client.post(url, json=body)
    )

    assert response.status_code == 201
    # Find the group with its event and dates, lock it (returning its capacity), count its
    # confirmed places (asking whether the address holds one in the event), insert the
    # registration, insert its confirmation's outbox row.
    assert statements == ["SELECT", "UPDATE", "SELECT", "INSERT", "INSERT"]


def test_a_registration_builds_no_schema(client, make, monkeypatch):
    # marshmallow copies every field of a schema it instantiates: about a sixth of a
    # registration's processor time when webargs built the arguments' schema per request.
    built = []
    build = RegistrationCreateSchema.__init__

    def counted(schema: RegistrationCreateSchema, *args, **kwargs) -> None:
        built.append(schema)
        build(schema, *args, **kwargs)

    monkeypatch.setattr(RegistrationCreateSchema, "__init__", counted)
    response = register(client, make.group())

    assert response.status_code == 201
    assert built == []


def test_a_registration_commits_once(client, make):
    group = make.group()
    commits: list[Session] = []

    def count(session: Session) -> None:
        commits.append(session)

    with listening(Session, "after_commit", count):
        response = register(client, group)

    assert response.status_code == 201
    assert len(commits) == 1
