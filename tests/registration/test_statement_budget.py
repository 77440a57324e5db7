"""What one registration asks of the database: its statements are counted so that the busiest
request of the service cannot grow silently. Raising a budget is a decision, made here."""

from __future__ import annotations

from sqlalchemy import event

from tests.registration.helpers import registration_body

DATA = ("SELECT", "INSERT", "UPDATE", "DELETE")


def test_one_registration_costs_five_statements(app, client, make):
    group = make.group()
    url = f"/api/v1/events/{group.event.slug}/registrations"
    body = registration_body(group.slug)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(DATA):
            statements.append(statement.split()[0].upper())

    engine = app.extensions["database"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(url, json=body)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert response.status_code == 201
    # Find the group with its event and dates, lock it (returning its capacity), count its
    # confirmed places, insert the registration, insert its confirmation's outbox row.
    assert statements == ["SELECT", "UPDATE", "SELECT", "INSERT", "INSERT"]
