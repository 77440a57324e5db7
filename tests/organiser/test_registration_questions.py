"""The questions an event adds to its registration form, as its organisers write them: eight
kinds, texts per language with French required, required or optional, shown after a given
earlier one-choice answer; once answered, a question keeps its kind, stays, and keeps its
chosen choices (only hidden), and an edit that would lose them is refused naming them."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import RegistrationAnswer, RegistrationQuestion
from tests.organiser.conftest import audit_actions, log_in, post_form
from tests.support.pages import text_of

STATUS = {
    "kind": "one_choice",
    "wording": {"fr": "Situation professionnelle", "en": "Employment status"},
    "help": {"fr": "Au premier jour de la formation"},
    "required": True,
    "choices": [
        {"label": {"fr": "En emploi", "en": "Employed"}},
        {"label": {"fr": "Demandeur·se d'emploi"}},
        {"key": "inactif", "label": {"fr": "Inactif·ve"}},
    ],
}
SINCE = {
    "kind": "date",
    "wording": {"fr": "Depuis quand cherchez-vous un emploi ?"},
    "condition": {"question": 0, "choice": "demandeurse-d-emploi"},
}
EVERY_OTHER_KIND = [
    {"kind": "text", "wording": {"fr": "Votre service"}},
    {"kind": "long_text", "wording": {"fr": "Vos attentes"}},
    {
        "kind": "several_choices",
        "wording": {"fr": "Langues parlées", "ar": "اللغات"},
        "choices": [{"label": {"fr": "Arabe"}}, {"label": {"fr": "Ukrainien"}}],
    },
    {"kind": "yes_no", "wording": {"fr": "Avez-vous un véhicule ?"}},
    {"kind": "number", "wording": {"fr": "Années d'expérience"}, "minimum": 0, "maximum": 60},
    {"kind": "country", "wording": {"fr": "Pays de naissance"}},
]


def url_of(event):
    return f"/api/v1/events/{event.slug}/registration/questions"


def stored(db_session, event):
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(RegistrationQuestion)
            .where(RegistrationQuestion.event_id == event.id)
            .order_by(RegistrationQuestion.position)
        )
    )


def answered(db_session, question, value):
    """A registration's answer, as the participant's form stores it."""
    registration = question.event.groups[0].registrations[0]
    db_session.add(RegistrationAnswer(registration=registration, question=question, value=value))
    db_session.commit()


def test_organisers_write_questions_of_every_kind_in_each_language(
    client, make, accounts, db_session
):
    event = make.event()
    account = accounts(event)

    empty = client.get(url_of(event), headers=account.bearer)
    written = client.put(
        url_of(event),
        json={"questions": [STATUS, SINCE, *EVERY_OTHER_KIND]},
        headers=account.bearer,
    )
    read = client.get(url_of(event), headers=account.bearer)

    assert empty.status_code == 200
    assert empty.json == {"questions": [], "answered": []}
    assert written.status_code == 200
    assert read.json == written.json
    questions = read.json["questions"]
    assert [q["kind"] for q in questions] == [
        "one_choice",
        "date",
        "text",
        "long_text",
        "several_choices",
        "yes_no",
        "number",
        "country",
    ]
    assert questions[0]["required"] is True
    assert questions[0]["help"] == {"fr": "Au premier jour de la formation"}
    assert [c["key"] for c in questions[0]["choices"]] == [
        "en-emploi",
        "demandeurse-d-emploi",
        "inactif",
    ]
    assert questions[0]["choices"][0]["label"] == {"fr": "En emploi", "en": "Employed"}
    assert questions[1]["condition"] == {"question": 0, "choice": "demandeurse-d-emploi"}
    assert questions[0]["condition"] is None
    assert (questions[6]["minimum"], questions[6]["maximum"]) == ("0.00", "60.00")
    assert stored(db_session, event)[1].condition_question_id == questions[0]["id"]
    assert event.asked_questions == 8
    assert ("registration.questions_changed", account.organiser.id, None) in audit_actions(
        db_session
    )


def test_questions_that_cannot_be_asked_are_refused_and_nothing_is_written(
    client, make, accounts, db_session
):
    event = make.event()
    account = accounts(event)
    english = {**account.bearer, "Accept-Language": "en"}
    client.put(url_of(event), json={"questions": [STATUS]}, headers=account.bearer)
    refusals = {
        "no French": [{"kind": "text", "wording": {"en": "Your team"}}],
        "unknown kind": [{"kind": "rating", "wording": {"fr": "Note"}}],
        "one choice": [{**STATUS, "choices": STATUS["choices"][:1]}],
        "choices on a text": [{"kind": "text", "wording": {"fr": "?"}, **_two_choices()}],
        "bounds reversed": [
            {"kind": "number", "wording": {"fr": "Âge"}, "minimum": 60, "maximum": 18}
        ],
        "condition ahead": [{**SINCE, "condition": {"question": 1, "choice": "x"}}, STATUS],
        "condition on a text": [EVERY_OTHER_KIND[0], {**SINCE, "condition": {"question": 0}}],
        "choice not offered": [STATUS, {**SINCE, "condition": {"question": 0, "choice": "x"}}],
        "same key twice": [{**STATUS, "choices": [STATUS["choices"][2]] * 2}],
        "unknown id": [{**STATUS, "id": 999999}],
    }

    answers = {
        name: client.put(url_of(event), json={"questions": questions}, headers=english)
        for name, questions in refusals.items()
    }

    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(refusals, 422)
    assert answers["no French"].json["errors"]["questions"] == [
        {"0": [{"wording": ["The text in French is required."]}]}
    ]
    assert answers["bounds reversed"].json["errors"]["questions"] == [
        {"0": [{"maximum": ["The minimum is above the maximum."]}]}
    ]
    assert "condition" in str(answers["condition ahead"].json["errors"])
    assert answers["choice not offered"].json["errors"]["questions"] == [
        {"1": [{"condition": ["This choice does not exist."]}]}
    ]
    assert answers["unknown id"].json["errors"] == {
        "questions.0.id": ["This question is not on this form."]
    }
    assert [q.wording["fr"] for q in stored(db_session, event)] == ["Situation professionnelle"]


def _two_choices():
    return {"choices": [{"label": {"fr": "A"}}, {"label": {"fr": "B"}}]}


def test_answered_questions_keep_their_kind_their_place_and_their_chosen_choices(
    client, make, accounts, db_session
):
    event = make.event()
    make.registration(make.group(event))
    account = accounts(event)
    english = {**account.bearer, "Accept-Language": "en"}
    written = client.put(
        url_of(event), json={"questions": [STATUS, SINCE]}, headers=account.bearer
    ).json["questions"]
    status, since = stored(db_session, event)
    answered(db_session, status, "inactif")
    answered_only = [{**STATUS, "id": status.id}]
    dropped = [{**SINCE, "id": since.id, "condition": None}]
    as_text = [{**STATUS, "id": status.id, "kind": "text", "choices": []}, *dropped]
    without_inactive = [{**STATUS, "id": status.id, "choices": STATUS["choices"][:2]}, SINCE]
    hidden_choice = {**STATUS["choices"][2], "hidden": True}
    reworded = {
        **STATUS,
        "id": status.id,
        "wording": {"fr": "Votre situation"},
        "choices": [*STATUS["choices"][:2], hidden_choice],
    }

    kind_changed = client.put(url_of(event), json={"questions": as_text}, headers=english)
    choice_removed = client.put(
        url_of(event), json={"questions": without_inactive}, headers=english
    )
    question_removed = client.put(url_of(event), json={"questions": dropped}, headers=english)
    unchanged = stored(db_session, event)
    kept = client.put(url_of(event), json={"questions": [reworded]}, headers=english)
    unanswered_choice_removed = client.put(
        url_of(event),
        json={"questions": [{**reworded, "choices": STATUS["choices"][::2]}]},
        headers=english,
    )

    assert [r.status_code for r in (kind_changed, choice_removed, question_removed)] == [409] * 3
    assert kind_changed.json["code"] == "questions_kept"
    assert kind_changed.json["errors"] == {
        "questions.0.kind": [
            "« Situation professionnelle » already has answers: it stays of the kind "
            "« One choice »."
        ]
    }
    assert choice_removed.json["errors"] == {
        "questions.0.choices": [
            "The choice « Inactif·ve » of « Situation professionnelle » was already chosen: it "
            "is kept; hide it rather than remove it."
        ]
    }
    assert question_removed.json["errors"] == {
        f"question.{status.id}": [
            "« Situation professionnelle » already has answers: it is kept; hide it rather "
            "than remove it."
        ]
    }
    assert [(q.id, q.kind.value, len(q.choices)) for q in unchanged] == [
        (written[0]["id"], "one_choice", 3),
        (written[1]["id"], "date", 0),
    ]
    assert kept.status_code == 200
    assert kept.json["answered"] == [status.id]
    assert kept.json["questions"][0]["choices"][2] == {**hidden_choice, "key": "inactif"}
    assert unanswered_choice_removed.status_code == 200
    assert [c["key"] for c in stored(db_session, event)[0].choices] == ["en-emploi", "inactif"]
    assert (
        client.put(url_of(event), json={"questions": answered_only}, headers=english).json[
            "questions"
        ][0]["id"]
        == status.id
    )


def test_only_the_events_organisers_see_and_change_its_questions(client, make, accounts):
    event = make.event()
    other = accounts(make.event())

    assert client.get(url_of(event), headers=other.bearer).status_code in (403, 404)
    assert client.put(url_of(event), json={"questions": []}, headers=other.bearer).status_code in (
        403,
        404,
    )
    assert client.get(url_of(event)).status_code == 401


def test_the_page_writes_questions_choices_and_conditions_without_javascript(
    client, make, accounts, db_session
):
    event = make.event()
    make.registration(make.group(event))
    account = accounts(event)
    log_in(client, account)
    page = f"/organiser/events/{event.slug}/registration/questions"

    blank = client.get(page)
    saved = post_form(
        client,
        page,
        **{
            "questions-0-kind": "one_choice",
            "questions-0-fr": "Situation professionnelle",
            "questions-0-en": "Employment status",
            "questions-0-required": "y",
            "questions-0-choices": "emploi = En emploi | Employed\nDemandeur d'emploi\n#Autre",
            "questions-1-kind": "text",
            "questions-1-fr": "",
            "questions-2-kind": "number",
            "questions-2-fr": "Années d'expérience",
            "questions-2-minimum": "0",
            "questions-2-maximum": "60",
            "questions-2-condition": "0:emploi",
        },
    )
    status, experience = stored(db_session, event)
    shown = text_of(client.get(page))
    editor = client.get(page).get_data(as_text=True)
    answered(db_session, status, "emploi")
    refused = post_form(
        client,
        page,
        **{
            "questions-0-id": str(status.id),
            "questions-0-kind": "text",
            "questions-0-fr": "Situation professionnelle",
        },
    )

    assert blank.status_code == 200
    assert saved.status_code == 303
    assert status.required is True
    assert status.choices == [
        {"key": "emploi", "label": {"fr": "En emploi", "en": "Employed"}, "hidden": False},
        {"key": "demandeur-d-emploi", "label": {"fr": "Demandeur d'emploi"}, "hidden": False},
        {"key": "autre", "label": {"fr": "Autre"}, "hidden": True},
    ]
    assert (experience.condition_question_id, experience.condition_choice) == (status.id, "emploi")
    assert (experience.minimum, experience.maximum) == (0, 60)
    assert "Questions d'inscription enregistrées." in shown
    assert "emploi = En emploi | Employed" in editor
    assert "#autre = Autre" in editor
    assert 'value="0:emploi" selected' in editor
    assert refused.status_code == 409
    assert "elle reste du type « Un choix »" in text_of(refused)
    assert [q.kind.value for q in stored(db_session, event)] == ["one_choice", "number"]


DISABILITY = {
    "kind": "one_choice",
    "wording": {"fr": "Avez-vous un handicap reconnu ?"},
    "indicator": "disability",
    "choices": [
        {"key": "oui", "label": {"fr": "Oui"}, "category": "yes"},
        {"key": "non", "label": {"fr": "Non"}, "category": "no"},
    ],
}


def test_questions_tied_to_an_indicator_map_their_choices_and_sensitive_ones_stay_optional(
    client, make, accounts
):
    event = make.event()
    account = accounts(event)
    english = {**account.bearer, "Accept-Language": "en"}

    written = client.put(url_of(event), json={"questions": [DISABILITY]}, headers=english)
    required = client.put(
        url_of(event), json={"questions": [{**DISABILITY, "required": True}]}, headers=english
    )
    on_text = client.put(
        url_of(event),
        json={"questions": [{"kind": "text", "wording": {"fr": "?"}, "indicator": "gender"}]},
        headers=english,
    )
    unmapped = client.put(
        url_of(event),
        json={
            "questions": [
                {**DISABILITY, "choices": [*DISABILITY["choices"], {"label": {"fr": "?"}}]}
            ]
        },
        headers=english,
    )
    unknown = client.put(
        url_of(event), json={"questions": [{**DISABILITY, "indicator": "zodiac"}]}, headers=english
    )
    birth_date = {"kind": "date", "wording": {"fr": "Date de naissance"}, "indicator": "age_band"}
    age_on_text = client.put(
        url_of(event), json={"questions": [{**birth_date, "kind": "text"}]}, headers=english
    )
    gender_on_date = client.put(
        url_of(event), json={"questions": [{**birth_date, "indicator": "gender"}]}, headers=english
    )
    by_birth_date = client.put(url_of(event), json={"questions": [birth_date]}, headers=english)

    assert written.status_code == 200
    (question,) = written.json["questions"]
    assert question["indicator"] == "disability"
    assert [(c["key"], c["category"]) for c in question["choices"]] == [
        ("oui", "yes"),
        ("non", "no"),
        ("prefer-not-to-say", "prefer_not_to_say"),
    ]
    assert question["choices"][2]["label"]["en"] == "I prefer not to answer"
    assert question["choices"][2]["label"]["ar"]
    assert required.json["errors"]["questions"] == [
        {"0": [{"required": ["A question on health or origin stays optional."]}]}
    ]
    assert on_text.json["errors"]["questions"] == [
        {"0": [{"indicator": ["A question tied to an indicator has one choice."]}]}
    ]
    assert unmapped.status_code == 422
    assert "choices" in unmapped.json["errors"]["questions"][0]["0"][0]
    assert unknown.status_code == 422
    assert age_on_text.json["errors"]["questions"] == [
        {"0": [{"indicator": ["The age band is counted from a one-choice question or a date."]}]}
    ]
    assert gender_on_date.status_code == 422
    assert by_birth_date.status_code == 200
    assert by_birth_date.json["questions"][0]["indicator"] == "age_band"


def test_the_page_keeps_a_questions_indicator_and_its_choices_categories(
    client, make, accounts, db_session
):
    event = make.event()
    account = accounts(event)
    client.put(url_of(event), json={"questions": [DISABILITY]}, headers=account.bearer)
    (question,) = stored(db_session, event)
    log_in(client, account)
    page = f"/organiser/events/{event.slug}/registration/questions"

    editor = text_of(client.get(page))
    saved = post_form(
        client,
        page,
        **{
            "questions-0-id": str(question.id),
            "questions-0-kind": "one_choice",
            "questions-0-fr": "Handicap reconnu ?",
            "questions-0-indicator": "disability",
            "questions-0-choices": "oui @yes = Oui\nnon @no = Non",
        },
    )
    (kept,) = stored(db_session, event)

    assert 'value="disability" selected' in editor
    assert "oui @yes = Oui\nnon @no = Non\nprefer-not-to-say @prefer_not_to_say = " in editor
    assert saved.status_code == 303
    assert kept.indicator == "disability"
    assert [(c["key"], c["category"]) for c in kept.choices] == [
        ("oui", "yes"),
        ("non", "no"),
        ("prefer-not-to-say", "prefer_not_to_say"),
    ]
