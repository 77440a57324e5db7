"""An event's evaluation seen by its organisers: closing a group invites those present at
least once; the questionnaire can be changed until then; the figures per group and for the
event (response rate, averages, distributions, free texts) hide any scope with fewer than
three answers, and no export names who answered."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from shared.models import EmailKind, EvaluationInvitation, EvaluationQuestion
from tests.organiser.conftest import (
    audit_actions,
    closed_group,
    log_in,
    outbox_kinds,
    post_form,
)
from tests.support.pages import submit, text_of


def answer(client, token, **fields):
    page = f"/evaluations/{token}"
    return submit(client, page, page, fields)


def question_ids(db_session, event):
    return list(
        db_session.scalars(
            select(EvaluationQuestion.id)
            .where(EvaluationQuestion.event_id == event.id)
            .order_by(EvaluationQuestion.position)
        )
    )


def test_closing_invites_each_participant_present_at_least_once(app, make, db_session):
    group, tokens = closed_group(app, make, db_session, present=2, absent=1)
    invited = db_session.scalars(select(EvaluationInvitation.registration_id)).all()

    assert len(tokens) == 2
    assert [kind for kind, _id in outbox_kinds(db_session)].count(EmailKind.EVALUATION) == 2
    assert sorted(invited) == sorted(
        r.id for r in group.registrations if r.attendances and r.attendances[0].present
    )
    assert len(question_ids(db_session, group.event)) == 6  # the default set, now settled


def test_presence_recorded_after_the_closing_invites_once(client, app, make, accounts, db_session):
    group, _tokens = closed_group(app, make, db_session, present=1, absent=1)
    late = next(r for r in group.registrations if not r.attendances)
    account = accounts(group.event)
    url = f"/api/v1/events/{group.event.slug}/registrations/{late.id}/attendance"
    before = len(outbox_kinds(db_session))

    for _ in range(2):
        marked = client.put(
            url, json={"date": group.dates[0].id, "present": True}, headers=account.bearer
        )
        assert marked.status_code == 200

    assert outbox_kinds(db_session)[before:] == [(EmailKind.EVALUATION, late.id)]


def test_organisers_change_the_questions_until_the_first_invitations(
    client, app, make, accounts, db_session
):
    event = make.event(registration_opens_at=None)
    account = accounts(event)
    url = f"/api/v1/events/{event.slug}/evaluation/questions"
    default = client.get(url, headers=account.bearer)
    questions = [
        {"kind": "rating", "wording": {"fr": "Les exercices étaient-ils clairs ?", "en": "Clear?"}},
        {"kind": "text", "wording": {"fr": "Un mot pour l'équipe ?"}},
    ]

    replaced = client.put(url, json={"questions": questions}, headers=account.bearer)
    no_french = client.put(
        url,
        json={"questions": [{"kind": "yes_no", "wording": {"en": "Yes?"}}]},
        headers={**account.bearer, "Accept-Language": "en"},
    )
    closed_group(app, make, db_session, present=1, event=event)
    frozen = client.put(url, json={"questions": questions[:1]}, headers=account.bearer)

    assert default.status_code == 200
    assert default.json["frozen"] is False
    assert [q["kind"] for q in default.json["questions"]] == [
        "rating",
        "rating",
        "rating",
        "yes_no",
        "text",
        "text",
    ]
    assert default.json["questions"][0]["wording"]["uk"].startswith("Загалом")
    assert replaced.status_code == 200
    assert [q["wording"]["fr"] for q in replaced.json["questions"]] == [
        "Les exercices étaient-ils clairs ?",
        "Un mot pour l'équipe ?",
    ]
    assert no_french.status_code == 422
    assert no_french.json["errors"]["questions"] == [
        {"0": [{"wording": ["The question in French is required."]}]}
    ]
    assert frozen.status_code == 409
    assert frozen.json["code"] == "questionnaire_frozen"
    assert client.get(url, headers=account.bearer).json["frozen"] is True
    assert len(question_ids(db_session, event)) == 2
    assert ("evaluation.questions_changed", account.organiser.id, None) in audit_actions(db_session)


def test_figures_are_hidden_below_three_answers_even_in_the_events_totals(
    client, app, make, accounts, db_session
):
    event = make.event(slug="evaluee", registration_opens_at=None)
    jambes, jambes_links = closed_group(
        app, make, db_session, present=4, event=event, slug="jambes", town="Jambes"
    )
    liege, liege_links = closed_group(
        app, make, db_session, present=2, event=event, slug="liege", town="Liège"
    )
    satisfaction, usefulness, _pace, recommend, useful, _improve = (
        f"q{i}" for i in question_ids(db_session, event)
    )
    given = [("5", "yes", "Zèbre"), ("4", "yes", "abeille"), ("3", "no", "")]
    for token, (rating, yes_no, text) in zip(jambes_links, given, strict=False):
        answer(client, token, **{satisfaction: rating, recommend: yes_no, useful: text})
    answer(client, liege_links[0], **{satisfaction: "1", usefulness: "2"})
    account = accounts(event)

    figures = client.get(f"/api/v1/events/{event.slug}/evaluations", headers=account.bearer)

    assert figures.status_code == 200
    by_town = {scope["town"]: scope for scope in figures.json["groups"]}
    shown = by_town["Jambes"]
    assert (shown["invited"], shown["answered"], shown["response_rate"]) == (4, 3, 0.75)
    rating, usefulness_figures, _pace, yes_no, texts, _improve = shown["questions"]
    assert rating["average"] == 4.0
    assert rating["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert usefulness_figures["answers"] == 0 and usefulness_figures["average"] is None
    assert (yes_no["yes"], yes_no["no"]) == (2, 1)
    assert texts["texts"] == ["abeille", "Zèbre"]  # in alphabetical order, not as given
    assert "texts" not in rating and "average" not in texts
    hidden = by_town["Liège"]
    assert hidden == {
        "group": liege.slug,
        "town": "Liège",
        "invited": 2,
        "hidden": True,
        "answered": None,
        "response_rate": None,
        "questions": [],
    }
    # The event's figures leave Liège out: subtracting Jambes from them would reveal its answer.
    overall = figures.json["overall"]
    assert (overall["invited"], overall["answered"]) == (4, 3)
    assert overall["questions"][0]["distribution"] == rating["distribution"]
    assert figures.json["minimum_answers"] == 3
    assert jambes.slug == "jambes"


def test_the_csv_and_the_page_give_the_same_figures_and_name_nobody(
    client, app, make, accounts, db_session
):
    event = make.event(slug="evaluee", registration_opens_at=None)
    group, links = closed_group(app, make, db_session, present=3, event=event, town="Jambes")
    satisfaction, *_rest, useful, _improve = (f"q{i}" for i in question_ids(db_session, event))
    for number, token in enumerate(links, start=3):
        answer(client, token, **{satisfaction: str(number), useful: f"=Idée {number}"})
    account = accounts(event)

    exported = client.get(f"/api/v1/events/{event.slug}/evaluations.csv", headers=account.bearer)
    log_in(client, account)
    page = text_of(client.get(f"/organiser/events/{event.slug}/evaluations"))

    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    header, *lines = rows
    assert exported.status_code == 200
    assert header[:5] == ["Groupe", "Invitations", "Réponses", "Taux de réponse", "Question"]
    satisfaction_line = next(r for r in lines if r[0].endswith("Jambes") and "satisfait" in r[4])
    assert satisfaction_line[1:4] == ["3", "3", "1.0"]
    assert satisfaction_line[6:12] == ["4.0", "0", "0", "1", "1", "1"]
    assert "'=Idée 3" in [r[-1] for r in lines]  # a formula typed in a text stays text
    everything = exported.data.decode("utf-8-sig") + page
    for person in group.registrations:
        assert person.last_name not in everything and person.email not in everything
    assert "Moyenne : 4.0 sur 5 (3 réponses)" in page
    assert "=Idée 5" in page


def test_the_questionnaire_page_saves_the_rows_and_skips_blank_ones(
    client, make, accounts, db_session
):
    event = make.event(registration_opens_at=None)
    account = accounts(event)
    log_in(client, account)
    url = f"/organiser/events/{event.slug}/evaluation/questions"
    editor = text_of(client.get(url))

    saved = post_form(
        client,
        url,
        **{
            "questions-0-kind": "yes_no",
            "questions-0-fr": "Le lieu convenait-il ?",
            "questions-0-uk": "Чи підходило місце?",
            "questions-1-kind": "rating",
            "questions-1-fr": "Retirée",
            "questions-1-remove": "y",
            "questions-2-kind": "text",
            "questions-2-fr": "",
        },
    )
    after = text_of(client.get(saved.headers["Location"]))
    refused = post_form(client, url, **{"questions-0-kind": "rating", "questions-0-en": "No fr"})
    empty = post_form(client, url)

    assert "Dans l'ensemble, êtes-vous satisfait·e de cette formation ?" in editor
    assert saved.status_code == 303
    assert "Questionnaire enregistré." in after
    stored = db_session.scalars(
        select(EvaluationQuestion).where(EvaluationQuestion.event_id == event.id)
    ).all()
    assert [(q.kind.value, q.wording) for q in stored] == [
        ("yes_no", {"fr": "Le lieu convenait-il ?", "uk": "Чи підходило місце?"})
    ]
    assert refused.status_code == 422
    assert "Question 1 : La question en français est obligatoire." in text_of(refused)
    assert empty.status_code == 422
    assert "Entre 1 et 20 questions." in text_of(empty)
    assert db_session.scalar(select(func.count(EvaluationQuestion.id))) == 1
