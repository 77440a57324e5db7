"""Answering an event's own questions when registering through the API: the event lists the
questions offered, in the reader's language or French; the answers are checked against them
(kind, choices offered, range, date format, required ones, conditions) and a bad one is
refused on its question's field, in the reader's language, with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared.domain.registration_questions import replace_questions
from shared.models import AnswerKind, Registration, RegistrationAnswer
from tests.registration.helpers import register, registration_body


def stored_answers(db_session):
    rows = db_session.execute(
        select(RegistrationAnswer.question_id, RegistrationAnswer.value).order_by(
            RegistrationAnswer.question_id
        )
    )
    return {str(question_id): value for question_id, value in rows}


def test_the_event_lists_the_questions_offered_in_the_readers_language(client, asking_group):
    group, ids = asking_group

    listed = client.get(
        f"/api/v1/events/{group.event.slug}", headers={"Accept-Language": "en"}
    ).json["questions"]

    assert [q["id"] for q in listed] == [int(ids[name]) for name in list(ids)[:-1]]
    assert listed[0]["text"] == "Employment status"
    assert listed[1]["text"] == "Depuis quand ?"  # no English: French
    assert listed[0]["choices"] == [
        {"key": "emploi", "label": "Employed"},
        {"key": "chomage", "label": "Demandeur·se d'emploi"},
    ]
    assert listed[0]["required"] is True
    assert listed[1]["condition"] == {"question": int(ids["status"]), "choice": "chomage"}
    assert (listed[4]["minimum"], listed[4]["maximum"]) == (0, 60)


def test_the_openapi_document_names_the_answers_and_each_questions_shape(client):
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]

    post = spec["paths"]["/api/v1/events/{event_slug}/registrations"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    registration = schemas[body.rsplit("/", 1)[1]]["properties"]
    questions = schemas["EventDetail"]["properties"]["questions"]
    question = schemas[questions["items"]["$ref"].rsplit("/", 1)[1]]["properties"]

    assert registration["answers"]["type"] == "object"
    assert "by question id" in registration["answers"]["description"]
    assert registration["consented_answers"]["items"] == {"type": "integer"}
    assert questions["type"] == "array"
    assert {"id", "kind", "text", "required", "choices", "minimum", "condition"} <= set(question)
    assert "country" in question["kind"]["enum"]


def test_valid_answers_are_stored_by_question(client, asking_group, db_session):
    group, ids = asking_group

    answered = register(
        client,
        group,
        answers={
            ids["status"]: "chomage",
            ids["since"]: "2026-03-01",
            ids["languages"]: ["ar", "fr"],
            ids["vehicle"]: False,
            ids["years"]: 12,
            ids["country"]: "SY",
        },
    )
    only_required = register(
        client, group, answers={ids["status"]: "emploi", ids["since"]: "2026-03-01"}
    )

    assert (answered.status_code, only_required.status_code) == (201, 201)
    first, second = db_session.scalars(select(Registration).order_by(Registration.id))
    assert {str(a.question_id): a.value for a in first.answers} == {
        ids["status"]: "chomage",
        ids["since"]: "2026-03-01",
        ids["languages"]: ["ar", "fr"],
        ids["vehicle"]: False,
        ids["years"]: 12,
        ids["country"]: "SY",
    }
    # Asked only of job seekers: the date given by someone employed is not kept.
    assert {str(a.question_id): a.value for a in second.answers} == {ids["status"]: "emploi"}


BAD_ANSWERS = {
    "unknown question": ({"999999": "x"}, "999999", "This field is not accepted."),
    "hidden question": ({"old": "x"}, "old", "This field is not accepted."),
    "wrong kind": ({"years": "douze"}, "years", "A number is expected."),
    "yes or no": ({"vehicle": "maybe"}, "vehicle", "Answer yes or no."),
    "choice not offered": (
        {"status": "retraite"},
        "status",
        "Choose one of the answers offered.",
    ),
    "hidden choice": ({"status": "etudes"}, "status", "Choose one of the answers offered."),
    "several not offered": (
        {"languages": ["ar", "de"]},
        "languages",
        "Choose among the answers offered.",
    ),
    "out of range": ({"years": 61}, "years", "A number between 0 and 60 is expected."),
    "date format": ({"since": "01/03/2026"}, "since", "A date YYYY-MM-DD is expected."),
    "country": ({"country": "XX"}, "country", "Choose one of the answers offered."),
    "missing required": ({"status": None}, "status", "This field is required."),
    "missing when asked": ({"since": None}, "since", "This field is required."),
}


@pytest.mark.parametrize("case", BAD_ANSWERS, ids=list(BAD_ANSWERS))
def test_a_bad_answer_is_refused_on_its_questions_field_and_nothing_is_written(
    client, asking_group, db_session, case
):
    group, ids = asking_group
    changes, field, message = BAD_ANSWERS[case]
    answers = {ids["status"]: "chomage", ids["since"]: "2026-03-01"}
    for name, value in changes.items():
        answers[ids.get(name, name)] = value

    refused = client.post(
        f"/api/v1/events/{group.event.slug}/registrations",
        json=registration_body(group.slug, answers=answers),
        headers={"Accept-Language": "en"},
    )

    assert refused.status_code == 422
    assert refused.json["errors"] == {f"answers.{ids.get(field, field)}": [message]}
    assert db_session.scalar(select(func.count()).select_from(Registration)) == 0
    assert stored_answers(db_session) == {}


def test_changed_questions_are_asked_from_the_next_registration(client, asking_group, db_session):
    group, ids = asking_group
    before = register(client, group, answers={ids["status"]: "emploi"})
    status = group.event.registration_questions[0]
    replace_questions(
        db_session,
        group.event,
        [
            {
                "id": status.id,
                "kind": status.kind,
                "wording": {"fr": "?"},
                "choices": status.choices,
                "hidden": True,
            },
            {"kind": AnswerKind.TEXT, "wording": {"fr": "Votre service"}, "required": True},
        ],
    )
    db_session.commit()
    service = group.event.registration_questions[1]

    old_answer = register(client, group, answers={ids["status"]: "emploi"})
    new_answer = register(client, group, answers={str(service.id): "Accueil"})

    assert before.status_code == 201
    assert old_answer.status_code == 422
    assert set(old_answer.json["errors"]) == {f"answers.{ids['status']}", f"answers.{service.id}"}
    assert new_answer.status_code == 201
    assert stored_answers(db_session)[str(service.id)] == "Accueil"
