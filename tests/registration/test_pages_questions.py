"""The event's own questions on the registration page: each kind with its input, in the
visitor's language or French (marked as such), a question asked after a given answer saying
so without JavaScript, and a bad answer shown beside its question with the form's other
errors, nothing written."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shared.models import Registration, RegistrationAnswer
from tests.support.pages import csrf_token, registration_form, submit, text_of


def page_of(group, language="fr"):
    return f"/events/{group.event.slug}?group={group.slug}&lang={language}"


def test_the_form_asks_each_question_with_its_own_input(client, asking_group):
    group, ids = asking_group

    page = text_of(client.get(page_of(group)))

    assert f'name="answer-{ids["status"]}" value="emploi"' in page
    assert 'value="etudes"' not in page, "a hidden choice is offered to nobody new"
    assert (
        f'id="f-answers.{ids["since"]}" name="answer-{ids["since"]}" value="" type="date"' in page
    )
    assert "Seulement si vous avez répondu « Demandeur·se d'emploi » à « Situation " in page
    assert f'data-after="answer-{ids["status"]}" data-after-value="chomage"' in page
    assert re.search(rf'type="checkbox" id="f-answers.{ids["languages"]}-uk"', page)
    assert re.search(rf'name="answer-{ids["years"]}"[^>]*type="number"[^>]*min="0" max="60"', page)
    assert '<option value="BE">Belgique</option>' in page
    assert "Ancienne question" not in page
    assert "questions.js" in page


def test_in_arabic_a_question_without_arabic_wording_is_marked_french(client, asking_group):
    group, _ids = asking_group

    page = text_of(client.get(page_of(group, "ar")))

    assert '<html lang="ar" dir="rtl">' in page
    assert '<span lang="fr" dir="auto">Situation professionnelle</span>' in page
    assert '<option value="BE">بلجيكا</option>' in page


def test_answers_sent_from_the_form_are_stored(client, asking_group, db_session):
    group, ids = asking_group
    form = registration_form(group.slug)
    form |= {
        f"answer-{ids['status']}": "chomage",
        f"answer-{ids['since']}": "2026-03-01",
        f"answer-{ids['languages']}": "uk",
        f"answer-{ids['vehicle']}": "yes",
        f"answer-{ids['years']}": "",
        f"answer-{ids['country']}": "UA",
    }

    done = submit(client, page_of(group), f"/events/{group.event.slug}", form)

    assert done.status_code == 303
    stored = dict(
        db_session.execute(select(RegistrationAnswer.question_id, RegistrationAnswer.value)).all()
    )
    assert stored == {
        int(ids["status"]): "chomage",
        int(ids["since"]): "2026-03-01",
        int(ids["languages"]): ["uk"],
        int(ids["vehicle"]): True,
        int(ids["country"]): "UA",
    }


def test_a_bad_answer_shows_beside_its_question_with_the_other_errors(
    client, asking_group, db_session
):
    group, ids = asking_group
    form = registration_form(group.slug, first_name="")
    form |= {f"answer-{ids['status']}": "chomage", f"answer-{ids['years']}": "99"}

    refused = client.post(
        f"/events/{group.event.slug}",
        data={**form, "csrf_token": csrf_token(client, page_of(group))},
        headers={"Accept-Language": "en"},
    )
    page = text_of(refused)

    assert refused.status_code == 422
    assert f'<a href="#f-answers.{ids["years"]}">A number between 0 and 60 is expected.</a>' in page
    assert f'<a href="#f-answers.{ids["since"]}">This field is required.</a>' in page
    assert 'href="#f-first_name"' in page
    assert 'value="99"' in page, "the form comes back as filled in"
    assert db_session.scalar(select(func.count()).select_from(Registration)) == 0
