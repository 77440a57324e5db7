"""The event dashboard on a known data set: per town registrations, places left, waiting
list, presence per date and completion — as JSON, as a page and as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.organiser.conftest import held_group, log_in, registered_before


@pytest.fixture
def known_event(make, accounts, client):
    """Jambes, already held: 4 places, 4 confirmed, 1 waiting; day one 3 present of 4, day two
    2 of 4, 2 completed. Liège, still to come: 20 places, 2 confirmed, nobody marked."""
    event = make.event(slug="atelier-connu", registration_opens_at=None)
    jambes = held_group(make, event, slug="jambes", name="Namur", town="Jambes", capacity=4)
    liege = make.group(event, slug="liege", name="Liège", town="Liège", capacity=20)
    people = [registered_before(make, jambes) for _ in range(5)]  # the fifth waits
    for _ in range(2):
        make.registration(liege)
    account = accounts(event)
    day_one, day_two = jambes.dates
    marks = {day_one: (True, True, True, False), day_two: (True, True, False, False)}
    for day, presents in marks.items():
        for person, present in zip(people, presents, strict=False):
            marked = client.put(
                f"/api/v1/events/{event.slug}/registrations/{person.id}/attendance",
                json={"date": day.id, "present": present},
                headers=account.bearer,
            )
            assert marked.status_code == 200
    return event, account


def test_dashboard_figures_per_group(client, known_event):
    event, account = known_event

    figures = client.get(f"/api/v1/events/{event.slug}/dashboard", headers=account.bearer).json

    assert (figures["confirmed"], figures["waitlisted"]) == (6, 1)
    assert figures["completion_rate"] == pytest.approx(2 / 6, abs=0.001)
    jambes, liege = figures["groups"]
    assert (jambes["town"], jambes["capacity"], jambes["confirmed"]) == ("Jambes", 4, 4)
    assert (jambes["waitlisted"], jambes["places_left"], jambes["completed"]) == (1, 0, 2)
    assert [(d["present"], d["expected"], d["rate"]) for d in jambes["dates"]] == [
        (3, 4, 0.75),
        (2, 4, 0.5),
    ]
    assert jambes["completion_rate"] == 0.5
    assert (liege["confirmed"], liege["places_left"], liege["completion_rate"]) == (2, 18, 0.0)
    assert [(d["present"], d["rate"]) for d in liege["dates"]] == [(0, 0.0), (0, 0.0)]


def test_dashboard_csv_has_one_row_per_group_and_date(client, known_event):
    event, account = known_event
    log_in(client, account)

    response = client.get(f"/organiser/events/{event.slug}/dashboard.csv")

    header, *rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert header == [
        "Ville",
        "Groupe",
        "Places",
        "Confirmés",
        "Liste d'attente",
        "Places libres",
        "Date",
        "Présents",
        "Attendus",
        "Taux de présence",
        "Taux de formation complète",
    ]
    assert [row[:6] + row[7:] for row in rows] == [
        ["Jambes", "Namur", "4", "4", "1", "0", "3", "4", "0.75", "0.5"],
        ["Jambes", "Namur", "4", "4", "1", "0", "2", "4", "0.5", "0.5"],
        ["Liège", "Liège", "20", "2", "0", "18", "0", "2", "0.0", "0.0"],
        ["Liège", "Liège", "20", "2", "0", "18", "0", "2", "0.0", "0.0"],
    ]


def test_dashboard_page_shows_rates(client, known_event):
    event, account = known_event
    log_in(client, account)

    page = client.get(f"/organiser/events/{event.slug}/").get_data(as_text=True)

    assert "(3/4)" in page
    assert "75" in page and "%" in page
    assert "(2/4)" in page
