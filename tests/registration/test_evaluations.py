"""The evaluation form behind the invitation's personal link: in the participant's language,
without JavaScript, one answer per link that can be changed until the evaluation closes — and
stored so that nothing ties it to the person."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import inspect, select

from shared.database import Base
from shared.domain.evaluations import questionnaire
from shared.models import EvaluationAnswer, EvaluationInvitation, Group
from tests.organiser.conftest import closed_group
from tests.support.links import manage_token
from tests.support.pages import csrf_token, submit, text_of


def answer(client, token, **fields):
    """Submit the evaluation form of ``token`` with ``fields``."""
    page = f"/evaluations/{token}"
    return submit(client, page, page, fields)


def field_names(group):
    """The form's field of each default question, in order: three ratings, a yes/no, two
    texts."""
    return [f"q{question.id}" for question in questionnaire(group.event)]


def stored_answers(db_session):
    db_session.expire_all()
    return [row.answers for row in db_session.scalars(select(EvaluationAnswer))]


def test_the_personal_link_opens_the_questionnaire_in_the_participants_language(
    client, app, make, db_session
):
    _group, [token] = closed_group(app, make, db_session, present=1)

    french = text_of(client.get(f"/evaluations/{token}"))
    english = text_of(client.get(f"/evaluations/{token}?lang=en"))

    assert "Dans l'ensemble, êtes-vous satisfait·e de cette formation ?" in french
    assert "Que faudrait-il améliorer ?" in french
    assert "Vos réponses sont anonymes" in french
    assert "Overall, how satisfied are you with this training?" in english


def test_the_manage_page_does_not_lead_to_the_evaluation(client, app, make, db_session):
    group, [token] = closed_group(app, make, db_session, present=1)
    [person] = group.registrations

    manage_page = text_of(client.get(f"/manage/{manage_token(person)}"))

    assert "Donner mon avis" not in manage_page
    assert token not in manage_page


def test_answers_are_stored_once_per_link_and_can_be_changed(client, app, make, db_session):
    group, [token] = closed_group(app, make, db_session, present=1)
    satisfaction, _usefulness, _pace, recommend, useful, improve = field_names(group)

    first = answer(
        client, token, **{satisfaction: "4", recommend: "yes", useful: "Les jeux de rôle"}
    )
    thanked = text_of(client.get(first.headers["Location"]))
    second = answer(client, token, **{satisfaction: "5", recommend: "no", improve: "Plus court"})

    assert first.status_code == second.status_code == 303
    assert "Merci ! Vos réponses sont enregistrées." in thanked
    assert 'value="4" checked' not in thanked  # answers given are never shown again
    assert stored_answers(db_session) == [
        {satisfaction[1:]: 5, recommend[1:]: False, improve[1:]: "Plus court"}
    ]


def test_an_invalid_answer_is_refused_with_its_message_and_changes_nothing(
    client, app, make, db_session
):
    group, [token] = closed_group(app, make, db_session, present=1)
    satisfaction, *_rest, useful, _improve = field_names(group)
    answer(client, token, **{satisfaction: "3"})

    out_of_scale = answer(client, token, **{satisfaction: "9", useful: "Tout"})
    in_english = client.post(
        f"/evaluations/{token}?lang=en",
        data={satisfaction: "0", "csrf_token": csrf_token(client, f"/evaluations/{token}")},
    )
    empty = answer(client, token)

    assert out_of_scale.status_code == in_english.status_code == empty.status_code == 422
    assert "Choisissez une note de 1 à 5." in text_of(out_of_scale)
    assert "Choose a rating from 1 to 5." in text_of(in_english)
    assert "Répondez à au moins une question." in text_of(empty)
    assert stored_answers(db_session) == [{satisfaction[1:]: 3}]


def test_an_unknown_link_answers_404_and_a_closed_evaluation_410(client, app, make, db_session):
    group, [token] = closed_group(app, make, db_session, present=1)
    satisfaction = field_names(group)[0]
    page = text_of(client.get(f"/evaluations/{token}"))
    db_session.get(Group, group.id).closed_at -= timedelta(days=30)
    db_session.commit()

    unknown = client.get(f"/evaluations/{token[:-2]}xx")
    closed = client.get(f"/evaluations/{token}")
    late = client.post(f"/evaluations/{token}", data={satisfaction: "4", "csrf_token": "x"})

    assert "Envoyer mes réponses" in page
    assert unknown.status_code == 404
    assert closed.status_code == 410
    assert "Cette évaluation est close depuis le" in text_of(closed)
    assert late.status_code in (400, 410)  # refused either way: the form had expired too
    assert stored_answers(db_session) == []


def test_nothing_stored_ties_an_answer_to_a_person(client, app, make, db_session):
    group, tokens = closed_group(app, make, db_session, present=3)
    satisfaction, *_rest, useful, _improve = field_names(group)
    for number, token in enumerate(tokens, start=1):
        answer(client, token, **{satisfaction: str(number), useful: f"Réponse {number}"})
    answers = inspect(EvaluationAnswer).columns
    invitations = inspect(EvaluationInvitation).columns

    # An answer names its group and no one; an invitation says nothing of its use.
    assert {column.key for column in answers} == {"id", "group_id", "key", "answers"}
    assert [fk.column.table.name for fk in EvaluationAnswer.__table__.foreign_keys] == ["groups"]
    assert {column.key for column in invitations} == {
        "id",
        "registration_id",
        "nonce",
        "token_digest",
    }
    # The links' tokens are stored nowhere: not in the invitations, nor in the outbox.
    everything = json.dumps(
        [
            [str(value) for value in row]
            for table in ("evaluation_invitations", "evaluation_answers", "outbox")
            for row in db_session.execute(select(Base.metadata.tables[table])).all()
        ]
    )
    assert not any(token in everything for token in tokens)
    # The participant's own data download holds none of their answers.
    person = db_session.scalars(select(EvaluationInvitation)).first().registration
    data = client.get(f"/manage/{manage_token(person)}/data.json").get_data(as_text=True)
    assert "Réponse" not in data


def test_answering_writes_nothing_a_dba_could_tie_to_the_person(client, app, make, db_session):
    group, tokens = closed_group(app, make, db_session, present=2)
    satisfaction, *_rest = field_names(group)

    def every_row_but_the_answers():
        return {
            name: sorted(map(tuple, db_session.execute(select(table)).all()), key=repr)
            for name, table in Base.metadata.tables.items()
            if name != "evaluation_answers"
        }

    before = every_row_but_the_answers()
    answer(client, tokens[1], **{satisfaction: "2"})
    db_session.expire_all()

    # Only the answers table changed: no mark, no time, no order points at who answered.
    assert every_row_but_the_answers() == before
    assert len(stored_answers(db_session)) == 1
