"""An event's own questions on a phone, in French and in Arabic, with and without JavaScript:
a question asked after a given answer is hidden until that answer is chosen where scripts
run and shown with its hint where they do not; the answers are stored; axe finds nothing
serious."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.domain.registration_questions import replace_questions
from shared.i18n import init_i18n
from shared.models import AnswerKind, Registration, RegistrationAnswer
from tests.browser.conftest import check_page
from tests.browser.test_participant_pages import fill_registration


def choice(key, fr, ar):
    return {"key": key, "label": {"fr": fr, "ar": ar}, "hidden": False}


@pytest.fixture
def asking(make, database: Session):
    """A group whose event asks the employment status and, of job seekers, since when."""
    group = make.group()
    app = Flask(__name__)
    init_i18n(app)
    with app.test_request_context():
        status, since = replace_questions(
            database,
            group.event,
            [
                {
                    "kind": AnswerKind.ONE_CHOICE,
                    "wording": {"fr": "Situation professionnelle", "ar": "الوضع المهني"},
                    "required": True,
                    "choices": [
                        choice("emploi", "En emploi", "يعمل"),
                        choice("chomage", "Demandeur d'emploi", "يبحث عن عمل"),
                    ],
                },
                {
                    "kind": AnswerKind.DATE,
                    "wording": {"fr": "Depuis quand ?"},
                    "condition": {"question": 0, "choice": "chomage"},
                },
            ],
        )
    database.commit()
    path = f"/events/{group.event.slug}?group={group.slug}"
    ids = (status.id, since.id)
    database.close()
    return path, ids


@pytest.mark.parametrize("locale", ["fr-BE", "ar"])
@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_questions_on_a_phone(
    registration_server, asking, database: Session, new_page, locale, javascript
):
    path, (status, since) = asking
    page: Page = new_page(locale=locale, javascript=javascript)
    email = f"q.{locale}.{'script' if javascript else 'no-script'}@example.org"
    page.goto(f"{registration_server}{path}")
    since_field = page.locator(f"[id='f-answers.{since}']")

    if javascript:
        expect(since_field).to_be_hidden()
        check_page(page, screenshot=f"questions-{locale}")
    else:
        expect(since_field).to_be_visible()
    fill_registration(page, email=email)
    page.locator(f"[id='f-answers.{status}-chomage']").check()
    expect(since_field).to_be_visible()
    since_field.fill("2026-03-01")
    page.locator("#inscription form button[type=submit]").click()

    expect(page.locator("h1")).to_be_visible()
    answers = dict(
        database.execute(
            select(RegistrationAnswer.question_id, RegistrationAnswer.value)
            .join(Registration)
            .where(Registration.email == email)
        ).all()
    )
    database.close()
    assert answers == {status: "chomage", since: "2026-03-01"}
