"""Answers on health or origin (special categories of personal data): offered with "prefer
not to say" and their own consent sentence, recorded only with that consent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.domain.registration_questions import replace_questions
from shared.models import AnswerKind, RegistrationAnswer
from tests.registration.helpers import register, registration_body
from tests.support.pages import text_of


@pytest.fixture
def sensitive(app, make, db_session):
    """A group whose event asks about disability, tied to the ESF+ indicator."""
    group = make.group()
    with app.test_request_context():
        (question,) = replace_questions(
            db_session,
            group.event,
            [
                {
                    "kind": AnswerKind.ONE_CHOICE,
                    "wording": {"fr": "Avez-vous un handicap reconnu ?"},
                    "indicator": "disability",
                    "choices": [
                        {"key": "oui", "label": {"fr": "Oui"}, "category": "yes", "hidden": False},
                        {"key": "non", "label": {"fr": "Non"}, "category": "no", "hidden": False},
                    ],
                }
            ],
        )
    db_session.commit()
    return group, str(question.id)


def stored(db_session):
    return list(db_session.scalars(select(RegistrationAnswer.value)))


def test_an_answer_on_health_is_recorded_only_with_its_own_consent(client, sensitive, db_session):
    group, question = sensitive

    without = client.post(
        f"/api/v1/events/{group.event.slug}/registrations",
        json=registration_body(group.slug, answers={question: "oui"}),
        headers={"Accept-Language": "en"},
    )
    with_consent = register(
        client, group, answers={question: "oui"}, consented_answers=[int(question)]
    )
    declined = register(client, group, answers={question: "prefer-not-to-say"})
    skipped = register(client, group)

    assert without.status_code == 422
    assert without.json["errors"] == {
        f"answers.{question}": ["Tick this question's consent sentence, or choose not to answer."]
    }
    assert [r.status_code for r in (with_consent, declined, skipped)] == [201, 201, 201]
    assert sorted(stored(db_session)) == ["oui", "prefer-not-to-say"]


def test_the_form_offers_prefer_not_to_say_and_the_consent_sentence(client, sensitive):
    group, question = sensitive

    page = text_of(client.get(f"/events/{group.event.slug}?group={group.slug}&lang=en"))

    assert 'value="prefer-not-to-say"' in page
    assert "I prefer not to answer" in page
    assert f'name="answer-{question}-consent"' in page
    assert "only the team organising the event sees it" in page
