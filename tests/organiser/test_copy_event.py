"""An event is copied to a new slug for another season: its texts, groups with their venues,
rooms and trainers, dates moved by whole weeks, questions and signatory, as a draft; never its
registrations or journal. A preview writes nothing; a taken slug is refused on its field."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shared.i18n import BRUSSELS
from shared.models import (
    AnswerKind,
    AuditEntry,
    EvaluationQuestion,
    Event,
    QuestionKind,
    Registration,
    RegistrationQuestion,
    Room,
    Trainer,
    Venue,
)
from tests.organiser.conftest import log_in, post_form

ENGLISH = {"Accept-Language": "en"}


def season(make, db_session):
    """An event with a group at a venue's room, a trainer, questions, and a registration."""
    event = make.event(signatory_name="Aline Dubois", signatory_role={"fr": "Directrice"})
    venue = Venue(
        name="DICS",
        street_address="avenue Gouverneur Bovesse 100",
        postcode="5100",
        town="Jambes",
        town_slug="jambes",
    )
    room = Room(venue=venue, name="Salle 1", capacity=30)
    trainer = Trainer(name="Marie Lambert", email="marie.lambert@example.org")
    group = make.group(event, venue=venue, room=room, trainers=[trainer])
    asked = RegistrationQuestion(
        event=event, position=0, kind=AnswerKind.YES_NO, wording={"fr": "Permis ?"}
    )
    followed = RegistrationQuestion(
        event=event,
        position=1,
        kind=AnswerKind.TEXT,
        wording={"fr": "Lequel ?"},
        condition_question=asked,
        condition_choice="yes",
    )
    db_session.add_all(
        [
            asked,
            followed,
            EvaluationQuestion(
                event=event, position=0, kind=QuestionKind.RATING, wording={"fr": "Utile ?"}
            ),
        ]
    )
    db_session.commit()
    make.registration(group)
    return event, group


def copy(client, account, event, **body):
    return client.post(
        f"/api/v1/events/{event.slug}/copy", json=body, headers={**account.bearer, **ENGLISH}
    )


def test_a_copy_takes_everything_but_the_people_as_a_draft(client, accounts, make, db_session):
    event, group = season(make, db_session)
    account = accounts(event)
    db_session.commit()

    answer = copy(client, account, event, slug="next-season", weeks=52)

    assert answer.status_code == 200
    assert answer.json["days"] == 364
    db_session.expire_all()
    made = db_session.scalars(select(Event).where(Event.slug == "next-season")).one()
    assert made.published is False
    assert made.title == event.title
    assert made.signatory_name == "Aline Dubois"
    (copied,) = made.groups
    assert (copied.venue_id, copied.room_id) == (group.venue_id, group.room_id)
    assert [t.name for t in copied.trainers] == ["Marie Lambert"]
    moved = [d.starts_at.astimezone(BRUSSELS) for d in copied.dates]
    assert moved == [d.starts_at.astimezone(BRUSSELS) + timedelta(weeks=52) for d in group.dates]
    assert [q.wording["fr"] for q in made.questions] == ["Utile ?"]
    asked, followed = made.registration_questions
    assert followed.condition_question_id == asked.id
    assert db_session.scalar(select(func.count()).where(Registration.event_id == made.id)) == 0
    assert db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.event_id == made.id)
    ).all() == ["event.created"]
    assert client.get("/events/next-season").status_code == 404


def test_a_copy_can_start_on_a_given_day(client, accounts, make, db_session):
    event, group = season(make, db_session)
    account = accounts(event)
    db_session.commit()
    first = group.dates[0].starts_at.astimezone(BRUSSELS)

    answer = copy(
        client,
        account,
        event,
        slug="autumn",
        first_day=(first + timedelta(days=10)).date().isoformat(),
    )

    assert answer.json["days"] == 10
    db_session.expire_all()
    made = db_session.scalars(select(Event).where(Event.slug == "autumn")).one()
    assert made.groups[0].dates[0].starts_at.astimezone(BRUSSELS) == first + timedelta(days=10)


def test_a_preview_says_what_the_copy_brings_and_writes_nothing(client, accounts, make, db_session):
    event, group = season(make, db_session)
    account = accounts(event)
    db_session.commit()
    events_before = db_session.scalar(select(func.count(Event.id)))

    answer = copy(client, account, event, slug="next-season", weeks=1, preview=True)

    assert answer.status_code == 200
    assert answer.json["preview"] is True
    assert [g["slug"] for g in answer.json["groups"]] == [group.slug]
    assert len(answer.json["groups"][0]["dates"]) == 2
    # A week later, the first copied date meets the room's own second date.
    assert answer.json["clashes"]
    assert db_session.scalar(select(func.count(Event.id))) == events_before


def test_a_copy_onto_a_taken_slug_is_refused_on_its_field(client, accounts, make, db_session):
    event, _group = season(make, db_session)
    account = accounts(event)
    db_session.commit()
    events_before = db_session.scalar(select(func.count(Event.id)))

    refused = copy(client, account, event, slug=event.slug, weeks=52)

    assert refused.status_code == 422
    assert refused.json["errors"]["slug"] == ["This identifier is already taken."]
    assert db_session.scalar(select(func.count(Event.id))) == events_before


def test_a_copy_moves_by_weeks_or_to_a_day_not_both_nor_none(client, accounts, make, db_session):
    event, _group = season(make, db_session)
    account = accounts(event)
    db_session.commit()

    assert copy(client, account, event, slug="a").status_code == 422
    assert copy(client, account, event, slug="b", weeks=0).json["errors"]["weeks"]
    both = copy(client, account, event, slug="c", weeks=1, first_day="2031-01-06")
    assert both.status_code == 422


def test_a_clashing_copy_is_refused_unless_forced(client, accounts, make, db_session):
    event, _group = season(make, db_session)
    account = accounts(event)
    db_session.commit()

    refused = copy(client, account, event, slug="clash", weeks=1)
    forced = copy(client, account, event, slug="clash", weeks=1, force=True)

    assert refused.status_code == 409
    assert refused.json["code"] == "schedule_conflict"
    assert forced.status_code == 200


def test_copying_from_the_event_page(client, accounts, make, db_session):
    event, group = season(make, db_session)
    account = accounts(event)
    db_session.commit()
    log_in(client, account)

    preview = post_form(
        client, f"/organiser/events/{event.slug}/copy", slug="spring", weeks="26", preview="1"
    )
    made = post_form(client, f"/organiser/events/{event.slug}/copy", slug="spring", weeks="26")

    assert preview.status_code == 200
    assert group.name in preview.get_data(as_text=True)
    assert made.status_code == 303
    assert made.headers["Location"] == "/organiser/events/spring/"
    page = client.get("/organiser/events/spring/")
    assert "Publier l'événement" in page.get_data(as_text=True)


def test_a_copy_moves_at_most_two_years(client, accounts, make, db_session):
    event, group = season(make, db_session)
    account = accounts(event)
    db_session.commit()
    first = group.dates[0].starts_at.astimezone(BRUSSELS).date()

    too_far = copy(
        client, account, event, slug="far", first_day=(first + timedelta(days=731)).isoformat()
    )
    too_many_weeks = copy(client, account, event, slug="far", weeks=105)

    assert too_far.status_code == 422
    assert too_far.json["errors"]["first_day"] == ["Two years before or after at most."]
    assert too_many_weeks.json["errors"]["weeks"]
