"""What whoever reads the database learns, as a database administrator would: every table in
plain SQL, without the secret key. They must not open a participant's manage page or
personal feed with what is stored, nor tie an evaluation answer to a person (see
docs/evaluations.md and docs/privacy.md)."""

from __future__ import annotations

import contextlib
import hashlib
import json

import pytest
from sqlalchemy import inspect, text

from services.calendar.operations import personal_feed
from shared.domain.evaluations import forget_link
from shared.errors import Gone, NotFound
from shared.models import EvaluationInvitation
from tests.organiser.conftest import closed_group
from tests.registration.test_evaluations import answer, field_names
from tests.support.links import calendar_token, manage_token


def every_row(db_session) -> dict[str, list[dict[str, object]]]:
    """Every row of every table, read in plain SQL."""
    connection = db_session.connection()
    return {
        table: [dict(row._mapping) for row in connection.execute(text(f'SELECT * FROM "{table}"'))]
        for table in inspect(connection).get_table_names()
    }


def stored_strings(dump: dict[str, list[dict[str, object]]]) -> set[str]:
    """Every text value stored, and every text inside stored JSON, long enough to be a token."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(key)
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        elif isinstance(value, str):
            found.add(value)
            if value[:1] in "[{":
                with contextlib.suppress(ValueError):  # text that only looks like JSON
                    walk(json.loads(value))

    for rows in dump.values():
        for row in rows:
            walk(list(row.values()))
    return {value for value in found if len(value) >= 16}


@pytest.fixture
def answered(client, app, make, db_session):
    """Two participants of a closed group, invited to evaluate, their invitations sent, and
    both answered; the links they hold."""
    group, evaluation_tokens = closed_group(app, make, db_session, present=2)
    people = list(group.registrations)
    for person in people:
        forget_link(db_session, person.id)  # what the worker does once the invitation left
    db_session.commit()
    satisfaction, *_rest, useful, _improve = field_names(group)
    for number, token in enumerate(evaluation_tokens, start=1):
        answer(client, token, **{satisfaction: str(number), useful: f"Réponse {number}"})
    links = [manage_token(p) for p in people] + [calendar_token(p) for p in people]
    return people, links, evaluation_tokens


def test_no_table_holds_a_link_of_a_participant(answered, db_session):
    _people, links, evaluation_tokens = answered

    everything = json.dumps(every_row(db_session), default=str)

    assert not [token for token in links + evaluation_tokens if token in everything]
    # Nor their digests: a derived link is found by deriving it again, not by looking it up.
    assert not [
        token for token in links if hashlib.sha256(token.encode()).hexdigest() in everything
    ]


def test_nothing_stored_opens_a_manage_page_or_a_personal_feed(answered, client, app, db_session):
    candidates = stored_strings(every_row(db_session))
    assert candidates, "the dump holds the stored digests and keys to try"

    for value in candidates:
        assert client.get(f"/manage/{value}").status_code in (404, 410), value
        assert client.get(f"/api/v1/registrations/{value}").status_code in (404, 410), value
        assert client.get(f"/evaluations/{value}").status_code in (404, 410), value
        with app.test_request_context(), pytest.raises((NotFound, Gone)):
            personal_feed(db_session, value, None)


def test_nothing_stored_ties_an_evaluation_answer_to_a_person(answered, db_session):
    people, _links, _evaluation_tokens = answered
    dump = every_row(db_session)
    keys = {row["key"] for row in dump["evaluation_answers"]}
    elsewhere = json.dumps(
        {table: rows for table, rows in dump.items() if table != "evaluation_answers"},
        default=str,
    )
    digests = {hashlib.sha256(value.encode()).hexdigest() for value in stored_strings(dump)}

    assert len(keys) == len(people) == 2
    # An answer row names its group and its key, no person: no other table holds the key,
    # no stored value hashes to it, and no invitation keeps what would derive it again.
    assert {column for row in dump["evaluation_answers"] for column in row} == {
        "id",
        "group_id",
        "key",
        "answers",
    }
    assert not any(key in elsewhere for key in keys)
    assert not keys & digests
    assert [row["nonce"] for row in dump[EvaluationInvitation.__tablename__]] == [None, None]
