"""A registration's answers to its event's own questions are personal data: the person's
download holds them, and anonymising the registration (by the retention rule or on request)
deletes them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shared.domain.privacy import anonymise, anonymise_expired, personal_data
from shared.models import AnswerKind, RegistrationAnswer, RegistrationQuestion
from tests.support.factories import local


def asked(make, db_session, event):
    """A yes/no question of the event, and the answer of each registration given."""
    question = RegistrationQuestion(
        event=event,
        position=0,
        kind=AnswerKind.YES_NO,
        wording={"fr": "Reconnaissance de handicap ?", "en": "Recognised disability?"},
    )
    db_session.add(question)
    db_session.flush()
    return question


def answer(db_session, registration, question, value):
    db_session.add(RegistrationAnswer(registration=registration, question=question, value=value))
    db_session.commit()


def stored(db_session):
    rows = db_session.execute(select(RegistrationAnswer.registration_id, RegistrationAnswer.value))
    return {registration_id: value for registration_id, value in rows}


def two_dates(day):
    start = local(f"{day}T09:30")
    return [(start, start.replace(hour=16)), (start + timedelta(weeks=1), start.replace(hour=17))]


def test_the_download_holds_the_answers(registration_app, db_session, make):
    registration = make.registration()
    question = asked(make, db_session, registration.event)
    answer(db_session, registration, question, True)

    with registration_app.app_context():  # the check-in code is derived with its key
        data = personal_data(registration)

    assert data["answers"] == [{"question": question.wording, "answer": True}]


def test_anonymising_deletes_the_answers_by_the_retention_rule_and_on_request(
    registration_app, db_session, make
):
    past = make.group(make.event(registration_opens_at=None), dates=two_dates("2030-01-08"))
    recent = make.group(make.event(registration_opens_at=None), dates=two_dates("2030-05-07"))
    old, kept, erased = make.registration(past), make.registration(recent), make.registration()
    for registration, value in ((old, True), (kept, False), (erased, True)):
        answer(db_session, registration, asked(make, db_session, registration.event), value)

    anonymise_expired(db_session, months=6, now=local("2030-07-20T12:00"))
    anonymise(erased)
    db_session.flush()

    assert stored(db_session) == {kept.id: False}
    assert old.answers == [] and erased.answers == []
    with registration_app.app_context():
        assert personal_data(erased)["answers"] == []
