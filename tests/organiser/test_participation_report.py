"""The participation report across events, checked against a fixture counted by hand:
groups held in the period, hours planned and delivered (called-off dates are planned, not
delivered), confirmed registrations, people once per normalised email, presence and
completion by the attendance rule, indicators' categories with "not asked" and "prefer not
to say" apart; administrators see every event, organisers their own."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import pytest

from shared.database import utcnow
from shared.domain.participation_report import ReportScope, participation_report
from shared.models import (
    AnswerKind,
    Attendance,
    AttendanceRule,
    EventKind,
    RegistrationAnswer,
    RegistrationQuestion,
    RegistrationStatus,
)
from tests.organiser.conftest import changes_recorded, log_in, post_form, registered_before
from tests.support.databases import listening
from tests.support.factories import indicator_question, local
from tests.support.pages import text_of

URL = "/api/v1/reports/participation"
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def year(make, accounts, db_session):
    """Two events of one organiser and one of someone else, in and around March 2026."""
    workshop = make.event(registration_opens_at=None, kind=EventKind.WORKSHOP)
    session = make.event(registration_opens_at=None, kind=EventKind.INFORMATION_SESSION)
    elsewhere = make.event(registration_opens_at=None)
    jambes = make.group(
        workshop,
        town="Jambes",
        town_slug="jambes",
        dates=[
            (local("2026-03-02T09:00"), local("2026-03-02T12:00")),
            (local("2026-03-09T09:00"), local("2026-03-09T12:00")),
        ],
    )
    jambes.dates[1].cancelled_at = utcnow()  # planned 6 h, delivered 3 h
    called_off = make.group(
        workshop, dates=[(local("2026-03-16T09:00"), local("2026-03-16T12:00"))]
    )
    called_off.cancelled_at = utcnow()
    namur = make.group(
        session,
        town="Namur",
        town_slug="namur",
        dates=[(local("2026-03-05T14:00"), local("2026-03-05T16:00"))],
    )
    make.group(session, dates=[(local("2026-05-04T14:00"), local("2026-05-04T16:00"))])
    other = make.group(elsewhere, dates=[(local("2026-03-20T10:00"), local("2026-03-20T11:00"))])
    gender = indicator_question(
        workshop, "gender", 0, [("f", "woman"), ("m", "man"), ("x", "non_binary")]
    )
    disability = indicator_question(
        workshop, "disability", 1, [("oui", "yes"), ("non", "no"), ("pnr", "prefer_not_to_say")]
    )
    db_session.add_all([gender, disability])
    amina = registered_before(make, jambes, email="amina@example.org")
    jan = registered_before(make, jambes, email="jan@example.org")
    waiting = registered_before(make, jambes, email="w@example.org")
    gone = registered_before(make, jambes, email="gone@example.org")
    amina_again = registered_before(make, namur, email=" Amina@Example.org")
    registered_before(make, namur, email="olena@example.org")
    someone = registered_before(make, other, email="someone@example.org")
    waiting.status = RegistrationStatus.WAITLISTED
    gone.status = RegistrationStatus.CANCELLED
    for registration, session_date in (
        (amina, jambes.dates[0]),
        (amina_again, namur.dates[0]),
        (someone, other.dates[0]),
    ):
        db_session.add(
            Attendance(registration=registration, session_date=session_date, present=True)
        )
    db_session.add(Attendance(registration=jan, session_date=jambes.dates[0], present=False))
    db_session.add_all(
        [
            RegistrationAnswer(registration=amina, question=gender, value="f"),
            RegistrationAnswer(registration=amina, question=disability, value="oui"),
            RegistrationAnswer(registration=jan, question=gender, value="m"),
            RegistrationAnswer(registration=jan, question=disability, value="pnr"),
            RegistrationAnswer(registration=waiting, question=gender, value="x"),
        ]
    )
    db_session.commit()
    return accounts(workshop, session), accounts(admin=True)


def test_the_reports_totals_match_the_hand_count(client, year):
    organiser, _admin = year

    report = client.get(URL, query_string=PERIOD, headers=organiser.bearer)

    assert report.status_code == 200
    figures = report.json
    assert (figures["from"], figures["to"]) == ("2026-03-01", "2026-03-31")
    assert (figures["events_held"], figures["groups_held"]) == (2, 2)
    assert (figures["hours_planned"], figures["hours_delivered"]) == (8.0, 5.0)
    assert (figures["registrations"], figures["people"]) == (4, 3)
    assert figures["presence_rate"] == 0.5
    assert (figures["completed"], figures["completion_rate"]) == (2, 0.5)
    gender = figures["indicators"]["gender"]
    assert (gender["woman"], gender["man"], gender["non_binary"]) == (1, 1, 0)
    assert (gender["not_asked"], gender["not_answered"]) == (2, 0)
    disability = figures["indicators"]["disability"]
    assert (disability["yes"], disability["no"], disability["prefer_not_to_say"]) == (1, 0, 1)
    assert disability["not_asked"] == 2
    assert figures["indicators"]["labour_market"]["not_asked"] == 4


def test_filters_and_who_sees_what(client, year):
    organiser, admin = year

    namur = client.get(URL, query_string={**PERIOD, "town": "namur"}, headers=organiser.bearer)
    workshops = client.get(URL, query_string={**PERIOD, "kind": "workshop"}, headers=admin.bearer)
    everything = client.get(URL, query_string=PERIOD, headers=admin.bearer)
    backwards = client.get(
        URL,
        query_string={"from": "2026-03-31", "to": "2026-03-01"},
        headers={**organiser.bearer, "Accept-Language": "en"},
    )

    assert (namur.json["groups_held"], namur.json["registrations"], namur.json["people"]) == (
        1,
        2,
        2,
    )
    assert (workshops.json["events_held"], workshops.json["registrations"]) == (2, 3)
    assert (everything.json["events_held"], everything.json["registrations"]) == (3, 5)
    assert backwards.status_code == 422
    assert "to" in backwards.json["errors"]
    assert client.get(URL, query_string=PERIOD).status_code == 401


def drop_in_event(make):
    """Office hours: open to all, without registration."""
    return make.event(
        registration_opens_at=None,
        kind=EventKind.DROP_IN,
        attendance_rule=AttendanceRule.NO_REGISTRATION,
    )


def test_drop_in_head_counts_are_recorded_on_held_dates_and_reported_apart(
    client, make, accounts, db_session
):
    drop_in = drop_in_event(make)
    office = make.group(
        drop_in,
        dates=[
            (local("2026-03-11T14:00"), local("2026-03-11T17:00")),
            (local("2026-03-18T14:00"), local("2026-03-18T17:00")),
        ],
    )
    coming = make.group(
        drop_in, dates=[(utcnow() + timedelta(days=3), utcnow() + timedelta(days=3, hours=2))]
    )
    workshop = make.group(make.event(registration_opens_at=None))
    account = accounts(drop_in, workshop.event)
    first, second = office.dates

    def count(group, session_date, people):
        return client.put(
            f"/api/v1/events/{group.event.slug}/dates/{session_date.id}/headcount",
            json={"people": people},
            headers={**account.bearer, "Accept-Language": "en"},
        )

    recorded = [count(office, first, 12), count(office, second, 7), count(office, second, 9)]
    future = count(coming, coming.dates[0], 3)
    not_drop_in = count(workshop, workshop.dates[0], 3)
    negative = count(office, first, -1)
    report = client.get(URL, query_string=PERIOD, headers=account.bearer).json

    assert [r.status_code for r in recorded] == [200, 200, 200]
    assert recorded[2].json == {"date": second.id, "people": 9}
    assert (future.status_code, not_drop_in.status_code, negative.status_code) == (409, 409, 422)
    assert report["drop_in_people"] == 21
    assert report["registrations"] == 0
    assert changes_recorded(db_session).count("date.headcount") == 3


def test_the_head_count_page_has_a_form_per_held_drop_in_date_that_began(
    client, make, accounts, db_session
):
    drop_in = drop_in_event(make)
    office = make.group(
        drop_in,
        town="Namur",
        dates=[
            (local("2026-03-11T14:00"), local("2026-03-11T17:00")),
            (local("2026-03-18T14:00"), local("2026-03-18T17:00")),
            (local("2026-03-25T14:00"), local("2026-03-25T17:00")),
            (utcnow() + timedelta(days=3), utcnow() + timedelta(days=3, hours=2)),
        ],
    )
    first, called_off, last, coming = office.dates
    called_off.cancelled_at = utcnow()
    last.headcount = 4
    workshop = make.event(registration_opens_at=None)
    db_session.commit()
    log_in(client, accounts(drop_in, workshop))
    url = f"/organiser/events/{drop_in.slug}/headcounts"

    page = client.get(url).get_data(as_text=True)
    recorded = post_form(
        client, f"/organiser/events/{drop_in.slug}/dates/{first.id}/headcount", people="12"
    )
    after = client.get(url).get_data(as_text=True)
    refused = post_form(
        client, f"/organiser/events/{drop_in.slug}/dates/{first.id}/headcount", people="-3"
    )
    future = post_form(
        client, f"/organiser/events/{drop_in.slug}/dates/{coming.id}/headcount", people="3"
    )
    elsewhere = client.get(f"/organiser/events/{workshop.slug}/headcounts")
    event_page = client.get(f"/organiser/events/{drop_in.slug}/").get_data(as_text=True)

    forms = re.findall(r'/dates/(\d+)/headcount"', page)
    assert forms == [str(last.id), str(first.id)]
    assert (
        'name="people" min="0" max="10000" inputmode="numeric" required\n               value="4"'
        in page
    )
    assert recorded.status_code == 303
    assert recorded.headers["Location"].endswith(f"/headcounts#d{first.id}")
    assert "Nombre de personnes enregistré." in after
    assert 'value="12"' in after
    db_session.refresh(first)
    assert first.headcount == 12
    assert refused.status_code == 422
    assert 'value="-3" aria-invalid="true"' in refused.get_data(as_text=True)
    assert future.status_code == 409
    assert "Seules les permanences sans inscription" in elsewhere.get_data(as_text=True)
    assert url in event_page
    assert changes_recorded(db_session).count("date.headcount") == 1


def workbook_of(response):
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return {sheet.title: [[c.value for c in row] for row in sheet.iter_rows()] for sheet in book}


def test_the_workbook_hides_small_counts_unless_an_administrator_asks(client, year, db_session):
    organiser, admin = year
    file_url = f"{URL}.xlsx"
    english = {"Accept-Language": "en"}

    outside = client.get(
        file_url, query_string={**PERIOD, "town": "jambes"}, headers={**organiser.bearer, **english}
    )
    refused = client.get(
        file_url, query_string={**PERIOD, "exact": "true"}, headers=organiser.bearer
    )
    exact = client.get(
        file_url, query_string={**PERIOD, "exact": "true"}, headers={**admin.bearer, **english}
    )

    assert outside.status_code == 200
    sheets = workbook_of(outside)
    summary = sheets["Summary"]
    assert summary[0] == ["Period", "2026-03-01 – 2026-03-31"]
    assert summary[1] == ["Town", "jambes"]
    assert ["Registrations", "< 5"] in summary
    assert ["Hours delivered", 3] in summary
    assert ["Woman", "< 5"] in sheets["Gender"]
    assert refused.status_code == 403
    assert exact.status_code == 200
    assert ["Registrations", 5] in workbook_of(exact)["Summary"]
    assert ["Man", 1] in workbook_of(exact)["Gender"]
    assert changes_recorded(db_session)[-1] == "report.exact_export"


def test_the_page_shows_each_table_with_its_chart_and_offers_the_workbook(client, year):
    organiser, _admin = year
    log_in(client, organiser)

    page = text_of(client.get("/organiser/reports", query_string=PERIOD))
    blank = client.get("/organiser/reports")
    backwards = client.get(
        "/organiser/reports", query_string={"from": "2026-03-31", "to": "2026-03-01"}
    )
    workbook = client.get("/organiser/reports/participation.xlsx", query_string=PERIOD)

    assert '<tr><th scope="row">Personnes</th><td>3</td></tr>' in page
    assert '<tr><th scope="row">Heures données</th><td>5.0</td></tr>' in page
    assert '<h2 id="h-gender">Genre</h2>' in page
    assert '<tr><th scope="row">Femme</th><td>1</td></tr>' in page
    assert '<svg class="chart" role="img" aria-labelledby="chart-gender"' in page
    assert "Genre : Femme 1, Homme 1, Non binaire 0," in page
    assert "participation.xlsx?from=2026-03-01&amp;to=2026-03-31" in client.get(
        "/organiser/reports", query_string=PERIOD
    ).get_data(as_text=True)
    assert blank.status_code == 200
    assert backwards.status_code == 422
    assert workbook.status_code == 200
    assert ["Inscriptions", "< 5"] in workbook_of(workbook)["Synthèse"]


def test_the_report_reads_in_a_handful_of_statements_whatever_the_data(app, make, year, db_session):
    _organiser, admin = year
    scope = ReportScope.for_reader(admin.organiser, start=date(2026, 3, 1), end=date(2026, 3, 31))

    def statements_of_the_report():
        statements = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement.split()[0].upper())

        db_session.expire_all()
        admin.organiser.events  # noqa: B018 — who sees what is read before the report
        with listening(app.extensions["database"].engine, "before_cursor_execute", count):
            report = participation_report(db_session, scope)
        return report, statements

    small, few = statements_of_the_report()
    workshop = make.event(registration_opens_at=None)
    db_session.add(indicator_question(workshop, "gender", 0, [("f", "woman"), ("m", "man")]))
    for day in (10, 11, 12):
        dates = [(local(f"2026-03-{day}T09:00"), local(f"2026-03-{day}T12:00"))]
        group = make.group(workshop, dates=dates)
        for _ in range(6):
            person = registered_before(make, group)
            db_session.add(
                Attendance(registration=person, session_date=group.dates[0], present=True)
            )
    db_session.commit()
    large, more = statements_of_the_report()

    assert (small.registrations, large.registrations) == (5, 23)
    assert large.indicators["gender"]["not_answered"] == 18
    assert len(few) <= 10, few
    assert more == few


def test_a_birth_date_counts_in_its_age_band_on_the_day_of_registration(
    client, make, accounts, db_session
):
    workshop = make.event(registration_opens_at=None)
    group = make.group(workshop, dates=[(local("2026-03-10T09:00"), local("2026-03-10T12:00"))])
    born = RegistrationQuestion(
        event=workshop,
        position=0,
        kind=AnswerKind.DATE,
        wording={"fr": "Date de naissance"},
        indicator="age_band",
    )
    db_session.add(born)
    # Registered on 9 March 2026: 30, 29, 55 that very day, 54 and 26 years old.
    for birth in ("1996-03-08", "1996-03-10", "1971-03-09", "1971-03-10", "2000-01-01"):
        registered = registered_before(make, group)
        registered.created_at = local("2026-03-09T10:00")
        db_session.add(RegistrationAnswer(registration=registered, question=born, value=birth))
    registered_before(make, group)
    db_session.commit()

    report = client.get(URL, query_string=PERIOD, headers=accounts(workshop).bearer)

    ages = report.json["indicators"]["age_band"]
    assert (ages["under_30"], ages["30_54"], ages["55_plus"]) == (2, 2, 1)
    assert (ages["not_answered"], ages["not_asked"]) == (1, 0)
