"""Answers to an event's own questions where organisers read about participants: the roster
(API and page) and its CSV and XLSX exports, a column per question, hidden questions
included since their answers are kept; choices read by their label, formulas neutralised."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from shared.models import AnswerKind, Registration, RegistrationAnswer, RegistrationQuestion
from tests.organiser.conftest import held_group, log_in, post_form, registered_before
from tests.support.pages import text_of


@pytest.fixture
def answered_group(make, accounts, db_session):
    """A held group of two, the event asking two questions (one now hidden); Amina answered
    both, Jan neither; and an organiser of the event."""
    group = held_group(make)
    status = RegistrationQuestion(
        position=0,
        kind=AnswerKind.ONE_CHOICE,
        wording={"fr": "Situation", "en": "Status"},
        choices=[
            {"key": "emploi", "label": {"fr": "En emploi", "en": "Employed"}, "hidden": False},
            {"key": "autre", "label": {"fr": "Autre"}, "hidden": False},
        ],
    )
    note = RegistrationQuestion(
        position=1, kind=AnswerKind.TEXT, wording={"fr": "Remarque"}, hidden=True
    )
    group.event.registration_questions = [status, note]
    amina = registered_before(make, group, first_name="Amina", last_name="Benali")
    registered_before(make, group, first_name="Jan", last_name="Claes")
    db_session.add_all(
        [
            RegistrationAnswer(registration=amina, question=status, value="emploi"),
            RegistrationAnswer(registration=amina, question=note, value="=1+1"),
        ]
    )
    db_session.commit()
    return group, accounts(group.event), status, note


def test_the_roster_api_gives_the_questions_and_each_participants_answers(client, answered_group):
    group, account, status, note = answered_group

    roster = client.get(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/roster", headers=account.bearer
    ).json

    assert [(q["id"], q["hidden"]) for q in roster["questions"]] == [
        (status.id, False),
        (note.id, True),
    ]
    by_name = {line["participant"]["last_name"]: line["answers"] for line in roster["confirmed"]}
    assert by_name == {"Benali": {str(status.id): "emploi", str(note.id): "=1+1"}, "Claes": {}}


def test_the_exports_have_a_column_per_question(client, answered_group):
    group, account, _status, _note = answered_group
    base = f"/api/v1/events/{group.event.slug}/groups/{group.slug}/roster"
    english = {**account.bearer, "Accept-Language": "en"}

    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(f"{base}.xlsx", headers=english).data)
    ).active
    header, *body = [[cell.value for cell in row] for row in sheet.iter_rows()]
    log_in(client, account)
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    f"/organiser/events/{group.event.slug}/groups/{group.slug}/roster.csv"
                ).data.decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )

    assert header[-2:] == ["Status", "Remarque"]
    by_name = {row[0]: row[-2:] for row in body}
    assert by_name == {"Benali": ["Employed", "'=1+1"], "Claes": [None, None]}
    assert csv_rows[0][-2:] == ["Situation", "Remarque"]
    assert {row[0]: row[-2:] for row in csv_rows[1:]} == {
        "Benali": ["En emploi", "'=1+1"],
        "Claes": ["", ""],
    }


def test_the_roster_page_shows_each_answer_under_the_participant(client, answered_group):
    group, account, _status, _note = answered_group
    log_in(client, account)

    page = text_of(client.get(f"/organiser/events/{group.event.slug}/groups/{group.slug}/"))

    assert "Situation : <bdi>En emploi</bdi>" in page
    assert "Remarque : <bdi>=1+1</bdi>" in page


def offered(db_session, group):
    """The event asks its first question of new registrations too."""
    group.event.asked_questions = 1
    db_session.commit()


def test_a_walk_in_answers_the_questions_through_the_api_and_the_page(
    client, answered_group, db_session
):
    group, account, status, _note = answered_group
    offered(db_session, group)
    api = f"/api/v1/events/{group.event.slug}/groups/{group.slug}/participants"
    body = {
        "first_name": "Olena",
        "last_name": "Kovalenko",
        "email": "olena@example.org",
        "role": "field_worker",
        "consent_on_paper": True,
    }

    by_api = client.post(
        api, json={**body, "answers": {str(status.id): "autre"}}, headers=account.bearer
    )
    refused = client.post(
        api,
        json={**body, "email": "x@example.org", "answers": {str(status.id): "chef"}},
        headers={**account.bearer, "Accept-Language": "en"},
    )
    log_in(client, account)
    roster_page = f"/organiser/events/{group.event.slug}/groups/{group.slug}/"
    form = text_of(client.get(roster_page))
    by_page = post_form(
        client,
        f"{roster_page}participants",
        **{
            **body,
            "email": "iryna@example.org",
            "last_name": "Shevchenko",
            "consent_on_paper": "1",
            "language": "fr",
            f"answer-{status.id}": "emploi",
        },
    )

    assert by_api.status_code == 201
    assert refused.status_code == 422
    assert refused.json["errors"] == {
        f"answers.{status.id}": ["Choose one of the answers offered."]
    }
    assert f'name="answer-{status.id}" value="autre"' in form
    assert by_page.status_code == 303
    answers = dict(
        db_session.execute(
            select(Registration.last_name, RegistrationAnswer.value)
            .join(RegistrationAnswer)
            .where(RegistrationAnswer.question_id == status.id)
        ).all()
    )
    assert answers == {"Benali": "emploi", "Kovalenko": "autre", "Shevchenko": "emploi"}
