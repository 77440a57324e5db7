"""Roster spreadsheets read back with csv and openpyxl: presence per date, completion, and
formulas typed by participants neutralised; the attendance sheet in the event's language."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from services.registration.organiser.exports import neutralise
from tests.organiser.conftest import held_group, log_in, registered_before

INJECTED = '=HYPERLINK("http://evil.example.org","clic")'


@pytest.fixture
def marked_group(make, accounts, client):
    """A group of three, already held: one came both days, one only the first, one typed a
    formula."""
    group = held_group(make)
    complete = registered_before(
        make, group, first_name="Amina", last_name="Benali", organisation="CPAS"
    )
    partial = registered_before(
        make, group, first_name="Jan", last_name="Claes", organisation="-1+2"
    )
    injector = registered_before(
        make,
        group,
        first_name="@SUM(A1)",
        last_name="Zed",
        organisation=INJECTED,
        phone="+32 470 12 34 56",
    )
    account = accounts(group.event)
    day_one, day_two = group.dates
    for registration, marks in ((complete, (True, True)), (partial, (True, False))):
        for day, present in zip((day_one, day_two), marks, strict=True):
            marked = client.put(
                f"/api/v1/events/{group.event.slug}/registrations/{registration.id}/attendance",
                json={"date": day.id, "present": present},
                headers=account.bearer,
            )
            assert marked.status_code == 200
    log_in(client, account)
    return group, account, injector


def test_roster_csv_has_presence_per_date_and_completion(client, marked_group):
    group, _account, _injector = marked_group

    response = client.get(f"/organiser/events/{group.event.slug}/groups/{group.slug}/roster.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    header, *body = rows
    assert header[:6] == ["Nom", "Prénom", "E-mail", "Téléphone", "Organisation", "Fonction"]
    assert header[-1] == "Formation complète"
    assert len(header) == 9  # six columns, two dates, completion
    by_name = {row[0]: row for row in body}
    assert by_name["Benali"][6:] == ["présent", "présent", "oui"]
    assert by_name["Claes"][6:] == ["présent", "absent", "non"]
    assert by_name["Zed"][6:] == ["", "", "non"]


def test_roster_csv_neutralises_formulas(client, marked_group):
    group, _account, _injector = marked_group

    response = client.get(f"/organiser/events/{group.event.slug}/groups/{group.slug}/roster.csv")

    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    zed = next(row for row in rows if row[0] == "Zed")
    claes = next(row for row in rows if row[0] == "Claes")
    assert zed[1] == "'@SUM(A1)"
    assert zed[3] == "'+32 470 12 34 56"
    assert zed[4] == "'" + INJECTED
    assert claes[4] == "'-1+2"


def test_roster_xlsx_reads_back_with_openpyxl(client, marked_group):
    group, account, _injector = marked_group

    response = client.get(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/roster.xlsx",
        headers={**account.bearer, "Accept-Language": "en"},
    )

    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    header, *body = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header[:2] == ["Last name", "First name"]
    assert header[-1] == "Completed the training"
    by_name = {row[0]: row for row in body}
    assert by_name["Benali"][6:] == ["present", "present", "yes"]
    assert by_name["Claes"][6:] == ["present", "absent", "no"]
    zed = next(row for row in sheet.iter_rows() if row[0].value == "Zed")
    assert zed[4].value == "'" + INJECTED
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+32 81", "'+32 81"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("Dupont-Lajoie", "Dupont-Lajoie"),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise_prefixes_only_cells_that_start_a_formula(value, expected):
    assert neutralise(value) == expected


def test_attendance_sheet_is_printed_in_the_events_language(client, make, accounts):
    event = make.event(language="en", organiser_contact="Réseau Egalité — 081/77 51 91")
    group = make.group(event, venue_name="HELMo ESAS", town="Liège", postcode="4020")
    make.registration(group, first_name="Iryna", last_name="Shevchenko", organisation="ASBL Nova")
    waiting_group_member = make.registration(make.group(event), last_name="Elsewhere")
    log_in(client, accounts(event))

    page = client.get(
        f"/organiser/events/{event.slug}/dates/{group.dates[0].id}/sheet",
        headers={"Accept-Language": "fr"},
    ).get_data(as_text=True)

    assert "Attendance sheet" in page
    assert '<html lang="en" dir="ltr">' in page
    for expected in (
        "Shevchenko",
        "Iryna",
        "ASBL Nova",
        "Signature",
        "HELMo ESAS",
        "4020 Liège",
        "Réseau Egalité — 081/77 51 91",
        event.title["en"],
    ):
        assert expected in page
    assert waiting_group_member.last_name not in page
    with client.get("/static/organiser.css") as stylesheet:
        assert "@media print" in stylesheet.get_data(as_text=True)
