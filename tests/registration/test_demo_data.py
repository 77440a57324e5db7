"""`flask --app services.registration load-demo` loads the seed's events."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.demo import load_events, seed_events, weeks_to_shift
from shared.database import create_db_engine, utcnow
from shared.domain import certificates
from shared.domain.closing import close_group
from shared.i18n import BRUSSELS
from shared.models import AttendanceRule, Event, EventKind, Trainer
from tests.support.links import manage_token

WORKSHOP = "pratiquer-action-evaluation-experimentalistes"


def test_load_demo_command_lists_four_groups_with_twenty_places_each(
    registration_app, committed_database
):
    result = registration_app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output

    response = registration_app.test_client().get(f"/api/v1/events/{WORKSHOP}")

    groups = response.json["groups"]
    assert [g["town_slug"] for g in groups] == [
        "charleroi",
        "jambes",
        "court-saint-etienne",
        "liege",
    ]
    assert [g["town"] for g in groups] == ["Charleroi", "Jambes", "Court-Saint-Étienne", "Liège"]
    assert {g["seats_left"] for g in groups} == {20}
    assert response.json["price"] == "0.00"


def test_load_demo_adds_a_held_edition_whose_completed_participants_get_certificates(
    registration_app, committed_database
):
    registration_app.test_cli_runner().invoke(args=["load-demo"])
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        edition = session.scalar(select(Event).where(Event.slug == f"{WORKSHOP}-precedente"))
        people = edition.groups[0].registrations
        earned = sorted(p.last_name for p in people if certificates.is_earned(p))
        token = next(manage_token(p) for p in people if p.last_name == "Kovalenko")
    engine.dispose()

    downloaded = registration_app.test_client().get(f"/manage/{token}/certificate.pdf")

    assert earned == ["Benali", "Claes", "Kovalenko", "Mensah"]
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/pdf"


def test_closing_the_held_edition_sends_certificates_and_evaluation_invitations(
    registration_app, committed_database
):
    registration_app.test_cli_runner().invoke(args=["load-demo"])
    engine = create_db_engine(committed_database)
    with Session(engine) as session, registration_app.app_context():
        edition = session.scalar(select(Event).where(Event.slug == f"{WORKSHOP}-precedente"))
        closing = close_group(session, edition.groups[0])
        session.commit()
        certified = sorted(p.last_name for p in closing.certified)
        invited = sorted(p.last_name for p in closing.invited)
    engine.dispose()

    assert certified == ["Benali", "Claes", "Kovalenko", "Mensah"]
    assert set(certified) < set(invited)  # someone came once: invited, not certified


def test_load_demo_if_empty_keeps_existing_data(registration_app, committed_database):
    runner = registration_app.test_cli_runner()
    runner.invoke(args=["load-demo"])

    again = runner.invoke(args=["load-demo", "--if-empty"])

    assert "already exist" in again.output
    assert len(registration_app.test_client().get("/api/v1/events?upcoming=false").json) == 4


def test_demo_moves_the_schedule_to_coming_tuesdays_keeping_the_spacing(committed_database):
    today = date(2026, 11, 29)
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        load_events(session, today=today)
        workshop = session.scalar(select(Event).where(Event.slug == WORKSHOP))
        dates = [[d.starts_at.astimezone(BRUSSELS) for d in g.dates] for g in workshop.groups]
        ends = [d.ends_at.astimezone(BRUSSELS) for g in workshop.groups for d in g.dates]
        opens = workshop.registration_opens_at
    engine.dispose()

    starts = [d for pair in dates for d in pair]
    assert all(d.weekday() == 1 for d in starts), "every date stays a Tuesday"
    assert all(d.time() == time(9, 30) for d in starts)
    assert all(d.time() == time(16, 0) for d in ends)
    assert min(starts).date() >= today + timedelta(weeks=6)
    assert [(b - a).days for a, b in dates] == [7, 14, 7, 14]
    assert opens < utcnow(), "registration is open now"


def test_seed_keeps_its_2023_schedule_and_other_events(committed_database):
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        events = {e.slug: e for e in load_events(session)}
        jambes = events[WORKSHOP].groups[1]
        drop_in = events["permanences-isp"]
        info = events["seance-information-formations"]
        first_jambes = jambes.dates[0].starts_at.astimezone(BRUSSELS)
        office_hours = drop_in.groups[0].dates[0]
        rule, start, end = (
            office_hours.recurrence_rule,
            office_hours.starts_at.astimezone(BRUSSELS),
            office_hours.ends_at.astimezone(BRUSSELS),
        )
        kinds = (drop_in.kind, drop_in.attendance_rule, info.kind, info.attendance_rule)
    engine.dispose()

    assert first_jambes.date() == date(2023, 10, 3)
    assert (rule, start.weekday(), start.time(), end.time()) == (
        "FREQ=WEEKLY;BYDAY=WE",
        2,
        time(9, 30),
        time(12, 0),
    )
    assert kinds == (
        EventKind.DROP_IN,
        AttendanceRule.NO_REGISTRATION,
        EventKind.INFORMATION_SESSION,
        AttendanceRule.ONE_DATE,
    )


def test_shift_is_whole_weeks():
    assert weeks_to_shift(seed_events(), date(2023, 8, 15)) == 1  # 26 Sep is 6 weeks on
    assert weeks_to_shift(seed_events(), date(2020, 1, 1)) == 0


def test_load_demo_gives_the_four_towns_venues_rooms_and_trainers(
    registration_app, committed_database
):
    registration_app.test_cli_runner().invoke(args=["load-demo"])
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        workshop = session.scalar(select(Event).where(Event.slug == WORKSHOP))
        placed = [
            (g.venue.town, g.room.capacity, [t.name for t in g.trainers]) for g in workshop.groups
        ]
        trainer_addresses = session.scalars(select(Trainer.email)).all()
    engine.dispose()

    assert placed == [
        ("Charleroi", 24, ["PhiloCité Recherches"]),
        ("Jambes", 24, ["PhiloCité Recherches"]),
        ("Court-Saint-Étienne", 24, ["PhiloCité Recherches"]),
        ("Liège", 24, ["PhiloCité Recherches"]),
    ]
    assert trainer_addresses and all(a.endswith("@example.org") for a in trainer_addresses)


def test_load_demo_asks_funders_questions_and_the_held_edition_answered_them(
    registration_app, committed_database
):
    registration_app.test_cli_runner().invoke(args=["load-demo"])
    engine = create_db_engine(committed_database)
    with Session(engine) as session:
        workshop = session.scalar(select(Event).where(Event.slug == WORKSHOP))
        edition = session.scalar(select(Event).where(Event.slug == f"{WORKSHOP}-precedente"))
        asked = [(q.indicator, q.required) for q in workshop.registration_questions]
        disability = edition.registration_questions[2]
        answers = {
            r.last_name: sorted(str(a.value) for a in r.answers)
            for r in edition.groups[0].registrations
        }
    engine.dispose()

    assert asked == [("gender", False), ("labour_market", False), ("disability", False)]
    assert disability.choices[-1]["category"] == "prefer_not_to_say"
    assert answers["Benali"] == ["demandeur", "femme", "prefer-not-to-say"]
    assert answers["Mensah"] == ["inactif", "oui"]
