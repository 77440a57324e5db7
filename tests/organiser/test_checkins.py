"""Check-in at the door through the API: a scanned code, or a day's offline queue of them,
records presence once, by the roster's rules; each mark that proves nothing is refused on its
field and the others are kept."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, timedelta

from sqlalchemy import func, select

from services.registration.organiser.checkins import HOLDER_COLUMNS, HolderRow
from shared.database import utcnow
from shared.domain.checkin import MAX_MARKS
from shared.i18n import BRUSSELS
from shared.models import Attendance, AuditEntry, EmailKind, RegistrationStatus
from shared.tokens import registration_token
from tests.organiser.conftest import held_group, log_in, outbox_kinds, registered_before
from tests.support.databases import data_statements
from tests.support.links import TEST_SECRET, manage_token


def code_of(registration, version: int | None = None) -> str:
    """The registration's check-in code, derived as the service derives it."""
    current = registration.checkin_code_version if version is None else version
    return registration_token(TEST_SECRET, "checkin", registration.id, current)


def now_local() -> str:
    return utcnow().astimezone(BRUSSELS).isoformat()


def checkins_url(session_date) -> str:
    return f"/api/v1/events/{session_date.group.event.slug}/dates/{session_date.id}/checkins"


def present_marks(db_session, session_date) -> list[tuple[int, str]]:
    db_session.expire_all()
    rows = db_session.execute(
        select(Attendance.registration_id, Attendance.marked_at).where(
            Attendance.session_date_id == session_date.id, Attendance.present.is_(True)
        )
    )
    return sorted((registration_id, marked_at.isoformat()) for registration_id, marked_at in rows)


def checked_in_entries(db_session) -> int:
    return db_session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "attendance.checked_in")
    )


def test_a_scanned_code_records_presence_once_whoever_sends_it_again(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,))
    today = group.dates[0]
    person = registered_before(make, group, first_name="Olena")
    first_door, second_door = accounts(group.event), accounts(group.event)
    scanned_at = (utcnow() - timedelta(minutes=3)).astimezone(BRUSSELS)
    mark = {"code": code_of(person), "marked_at": scanned_at.isoformat()}

    first = client.post(checkins_url(today), json={"marks": [mark]}, headers=first_door.bearer)
    again = client.post(checkins_url(today), json={"marks": [mark]}, headers=first_door.bearer)
    later = {"code": code_of(person), "marked_at": now_local()}
    other_door = client.post(
        checkins_url(today), json={"marks": [later, later]}, headers=second_door.bearer
    )

    assert first.status_code == 200
    assert first.json["answers"] == [
        {
            "outcome": "present",
            "first_name": "Olena",
            "registration": person.id,
            "group": None,
            "dates": [],
            "recorded_at": scanned_at.isoformat(),
        }
    ]
    assert first.json["errors"] == {}
    for answer in [*again.json["answers"], *other_door.json["answers"]]:
        assert (answer["outcome"], answer["recorded_at"]) == (
            "already_recorded",
            scanned_at.isoformat(),
        )
    assert present_marks(db_session, today) == [(person.id, scanned_at.astimezone(UTC).isoformat())]
    assert checked_in_entries(db_session) == 1


def test_each_mark_of_a_queue_is_written_and_journalled_with_its_own_moment(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,))
    today = group.dates[0]
    people = [registered_before(make, group) for _ in range(3)]
    door = accounts(group.event)
    start = utcnow().astimezone(BRUSSELS) - timedelta(minutes=10)
    moments = [start + timedelta(minutes=minutes, seconds=7) for minutes in (4, 0, 2)]
    marks = [
        {"code": code_of(person), "marked_at": moment.isoformat()}
        for person, moment in zip(people, moments, strict=True)
    ]

    response = client.post(checkins_url(today), json={"marks": marks}, headers=door.bearer)

    assert response.status_code == 200
    assert present_marks(db_session, today) == sorted(
        (person.id, moment.astimezone(UTC).isoformat())
        for person, moment in zip(people, moments, strict=True)
    )
    entries = db_session.execute(
        select(
            AuditEntry.registration_id,
            AuditEntry.organiser_id,
            AuditEntry.event_id,
            AuditEntry.details,
        ).where(AuditEntry.action == "attendance.checked_in")
    )
    assert sorted(entries) == sorted(
        (
            person.id,
            door.organiser.id,
            group.event.id,
            {"date_id": today.id, "at": moment.isoformat()},
        )
        for person, moment in zip(people, moments, strict=True)
    )


def test_a_queue_keeps_the_marks_that_prove_presence_and_refuses_each_other_on_its_field(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,), capacity=3)
    today = group.dates[0]
    elsewhere = held_group(make, group.event, days_ago=(0,), name="Liège")
    came, also_came, renewed, dropped_out = (
        registered_before(make, group, first_name=name)
        for name in ("Amina", "Bruno", "Chloé", "Dmytro")
    )
    waiting = registered_before(make, group, first_name="Eva")
    moved_on = registered_before(make, elsewhere, first_name="Farid")
    stranger = registered_before(make, held_group(make, days_ago=(0,)), first_name="Gosia")
    old_code = code_of(renewed)
    renewed.checkin_code_version += 1
    dropped_out.status = RegistrationStatus.CANCELLED
    db_session.commit()
    assert waiting.status is RegistrationStatus.WAITLISTED
    now = now_local()
    forged = code_of(came)[:-1] + ("A" if code_of(came)[-1] != "A" else "B")
    marks = [
        {"code": code_of(came), "marked_at": now},
        {"code": forged, "marked_at": now},
        {"code": code_of(came)[:20], "marked_at": now},
        {"code": code_of(stranger), "marked_at": now},
        {"code": old_code, "marked_at": now},
        {"code": code_of(waiting), "marked_at": now},
        {"code": code_of(dropped_out), "marked_at": now},
        {"code": code_of(moved_on), "marked_at": now},
        {"code": code_of(also_came), "marked_at": "2099-01-01T10:00:00+01:00"},
        {"code": code_of(also_came), "marked_at": (utcnow() - timedelta(days=2)).isoformat()},
        {"registration": also_came.id, "marked_at": now},
        {"code": "x", "marked_at": "yesterday"},
        {"marked_at": now},
    ]

    response = client.post(
        checkins_url(today), json={"marks": marks}, headers=accounts(group.event).bearer
    )

    assert response.status_code == 200
    assert [a["outcome"] for a in response.json["answers"]] == [
        "present",
        "unknown",
        "unknown",
        "unknown",
        "replaced",
        "waitlisted",
        "cancelled",
        "elsewhere",
        "refused_time",
        "refused_time",
        "present",
        "invalid",
        "invalid",
    ]
    errors = response.json["errors"]
    assert sorted(errors) == sorted(
        [
            "marks.1.code",
            "marks.2.code",
            "marks.3.code",
            "marks.4.code",
            "marks.5.code",
            "marks.6.code",
            "marks.7.code",
            "marks.8.marked_at",
            "marks.9.marked_at",
            "marks.11.marked_at",
            "marks.12.code",
        ]
    )
    assert errors["marks.1.code"] == ["Code inconnu pour cet événement."]
    assert errors["marks.3.code"] == ["Code inconnu pour cet événement."]
    assert errors["marks.4.code"] == [
        "Ce code a été remplacé par un nouveau : demandez le code reçu en dernier."
    ]
    assert errors["marks.8.marked_at"] == ["Ce moment est dans le futur."]
    assert errors["marks.9.marked_at"] == ["Ce moment précède le jour de la séance."]
    # Another event's code names nobody: not even a first name leaves the server.
    assert response.json["answers"][3]["first_name"] is None
    assert response.json["answers"][7]["group"] == "Liège"
    assert [registration for registration, _at in present_marks(db_session, today)] == sorted(
        [came.id, also_came.id]
    )
    assert checked_in_entries(db_session) == 2


def test_a_batch_beyond_the_limit_is_refused_whole_and_writes_nothing(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,))
    person = registered_before(make, group)
    url, organiser = checkins_url(group.dates[0]), accounts(group.event)
    by_code = {"code": code_of(person), "marked_at": now_local()}
    by_id = {"registration": person.id, "marked_at": now_local()}

    huge = client.post(url, json={"marks": [by_code] * 10_000}, headers=organiser.bearer)
    one_too_many = client.post(
        url, json={"marks": [by_id] * (MAX_MARKS + 1)}, headers=organiser.bearer
    )

    # Ten thousand marks are over a megabyte: refused before they are read.
    assert (huge.status_code, huge.json["code"]) == (413, "request_entity_too_large")
    assert one_too_many.status_code == 422
    assert one_too_many.json["errors"] == {
        "marks": [f"Envoyez entre 1 et {MAX_MARKS} marques à la fois."]
    }
    assert present_marks(db_session, group.dates[0]) == []


def test_a_called_off_date_or_one_outside_its_window_refuses_every_mark(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(40, 0, -3))
    too_old, today, coming = group.dates
    person = registered_before(make, group)
    today.cancelled_at = utcnow()
    db_session.commit()
    organiser = accounts(group.event)

    def send(session_date):
        mark = {"code": code_of(person), "marked_at": now_local()}
        return client.post(
            checkins_url(session_date), json={"marks": [mark]}, headers=organiser.bearer
        )

    called_off, past, not_yet = send(today), send(too_old), send(coming)

    assert (called_off.status_code, called_off.json["code"]) == (409, "date_called_off")
    assert (past.status_code, past.json["code"]) == (403, "forbidden")
    assert (not_yet.status_code, list(not_yet.json["errors"])) == (422, ["date"])
    assert db_session.scalar(select(func.count(Attendance.id))) == 0


def test_the_download_holds_code_digests_and_first_names_of_those_expected_only(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,), capacity=1)
    today = group.dates[0]
    person = registered_before(make, group, first_name="Iryna", last_name="Shevchenko")
    registered_before(make, group, first_name="Waiting")
    organiser = accounts(group.event)
    url = f"/api/v1/events/{group.event.slug}/dates/{today.id}/checkin-codes"
    client.post(
        checkins_url(today),
        json={"marks": [{"code": code_of(person), "marked_at": now_local()}]},
        headers=organiser.bearer,
    )

    codes = client.get(url, headers=organiser.bearer)
    anonymous = client.get(url)
    outsider = client.get(url, headers=accounts(make.event()).bearer)

    assert codes.status_code == 200
    [holder] = codes.json["people"]
    assert set(holder) == {"id", "digest", "first_name", "recorded_at"}
    assert holder["digest"] == hashlib.sha256(code_of(person).encode()).hexdigest()
    assert holder["first_name"] == "Iryna"
    assert holder["recorded_at"] is not None
    assert "Shevchenko" not in codes.get_data(as_text=True)
    assert codes.json["keep_until"].startswith(
        str(today.starts_at.astimezone(BRUSSELS).date() + timedelta(days=31))
    )
    assert (anonymous.status_code, outsider.status_code) == (401, 403)


def test_the_code_opens_no_manage_page_and_a_manage_token_is_no_code(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,))
    person = registered_before(make, group)

    manage = client.get(f"/manage/{code_of(person)}")
    as_code = client.post(
        checkins_url(group.dates[0]),
        json={"marks": [{"code": manage_token(person), "marked_at": now_local()}]},
        headers=accounts(group.event).bearer,
    )

    assert manage.status_code == 404
    assert as_code.json["answers"][0]["outcome"] == "unknown"


def test_a_renewed_code_answers_that_it_was_replaced(client, make, accounts, db_session):
    group = held_group(make, days_ago=(0,))
    person = registered_before(make, group)
    old_code = code_of(person)
    page = client.get(f"/manage/{manage_token(person)}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    renewed = client.post(f"/manage/{manage_token(person)}/checkin-code", data={"csrf_token": csrf})
    db_session.expire_all()
    marks = [
        {"code": old_code, "marked_at": now_local()},
        {"code": code_of(person), "marked_at": now_local()},
    ]
    answer = client.post(
        checkins_url(group.dates[0]), json={"marks": marks}, headers=accounts(group.event).bearer
    )

    assert renewed.status_code == 303
    assert "Mon code de présence" in page
    assert [a["outcome"] for a in answer.json["answers"]] == ["replaced", "present"]
    assert (
        db_session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "registration.checkin_code_renewed"
            )
        )
        == 1
    )


def test_the_check_in_page_sends_marks_with_the_login_session_and_its_csrf_token(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,))
    today = group.dates[0]
    person = registered_before(make, group, first_name="Nadia")
    log_in(client, accounts(group.event))
    base = f"/organiser/events/{group.event.slug}/dates/{today.id}"
    page = client.get(f"{base}/checkin")
    token = re.search(r'data-csrf="([^"]+)"', page.get_data(as_text=True)).group(1)
    mark = {"marks": [{"registration": person.id, "marked_at": now_local()}]}

    codes = client.get(f"{base}/checkin-codes")
    forged = client.post(f"{base}/checkins", json=mark)
    sent = client.post(f"{base}/checkins", json=mark, headers={"X-CSRFToken": token})
    too_many = client.post(f"{base}/checkins", json={"marks": []}, headers={"X-CSRFToken": token})

    assert page.status_code == 200
    assert [p["first_name"] for p in codes.json["people"]] == ["Nadia"]
    assert codes.headers["Cache-Control"] == "no-store"
    assert forged.status_code == 400
    assert sent.json["answers"][0]["outcome"] == "present"
    assert (too_many.status_code, too_many.json["code"]) == (422, "invalid")
    assert list(too_many.json["errors"]) == ["marks"]
    assert [r for r, _at in present_marks(db_session, today)] == [person.id]


def test_the_sheet_the_manage_page_and_the_data_download_give_a_confirmed_person_their_code(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,), capacity=1)
    person = registered_before(make, group, first_name="Oksana")
    waiting = registered_before(make, group)
    log_in(client, accounts(group.event))

    sheet = client.get(
        f"/organiser/events/{group.event.slug}/dates/{group.dates[0].id}/sheet"
    ).get_data(as_text=True)
    confirmed_page = client.get(f"/manage/{manage_token(person)}").get_data(as_text=True)
    waiting_page = client.get(f"/manage/{manage_token(waiting)}").get_data(as_text=True)
    downloads = [client.get(f"/manage/{manage_token(r)}/data.json").json for r in (person, waiting)]

    assert 'alt="Code QR de présence de Oksana"' in sheet
    assert 'alt="Code QR de présence de Oksana"' in confirmed_page
    assert "Mon code de présence" not in waiting_page
    assert code_of(person) not in sheet + confirmed_page  # drawn, never written
    assert [d["registration"]["checkin_code"] for d in downloads] == [code_of(person), None]


def test_one_marked_absent_then_at_the_door_of_a_closed_group_is_sent_their_certificate(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(8, 1))
    first, second = group.dates
    came_late, came_twice = (registered_before(make, group) for _ in range(2))
    for person, on_second in ((came_late, False), (came_twice, True)):
        db_session.add(Attendance(registration=person, session_date=first, present=True))
        db_session.add(Attendance(registration=person, session_date=second, present=on_second))
    db_session.commit()
    account = accounts(group.event)
    closed = client.post(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/close", headers=account.bearer
    )
    assert closed.status_code == 200
    before = len(outbox_kinds(db_session))
    seen_at = second.starts_at.astimezone(BRUSSELS) + timedelta(minutes=5)
    marks = [
        {"code": code_of(p), "marked_at": seen_at.isoformat()} for p in (came_late, came_twice)
    ]

    response = client.post(checkins_url(second), json={"marks": marks}, headers=account.bearer)

    assert response.status_code == 200
    assert [a["outcome"] for a in response.json["answers"]] == ["present", "already_recorded"]
    # The absent mark became presence at the door's moment, by the organiser at the door.
    row = db_session.scalar(
        select(Attendance).where(
            Attendance.registration_id == came_late.id, Attendance.session_date_id == second.id
        )
    )
    assert (row.present, row.marked_at, row.marked_by_id) == (True, seen_at, account.organiser.id)
    assert db_session.scalar(select(func.count(Attendance.id))) == 4
    assert checked_in_entries(db_session) == 1
    # Completed after the closing: the certificate follows, as it does from the roster.
    assert outbox_kinds(db_session)[before:] == [(EmailKind.CERTIFICATE, came_late.id)]


def test_a_holder_row_names_the_columns_it_is_read_from():
    # Rows are read into HolderRow by position: its fields must follow the query's columns.
    assert HolderRow._fields == tuple(select(*HOLDER_COLUMNS).selected_columns.keys())


def test_a_queue_costs_the_same_statements_whatever_its_length(app, client, make, accounts):
    group = held_group(make, days_ago=(0,), capacity=40)
    people = [registered_before(make, group) for _ in range(40)]
    url, organiser = checkins_url(group.dates[0]), accounts(group.event)
    # Outside the count: the token's first use, recorded once.
    client.get(url.replace("/checkins", "/checkin-codes"), headers=organiser.bearer)

    def statements_of(batch):
        marks = [{"code": code_of(p), "marked_at": now_local()} for p in batch]
        response, run = data_statements(
            app.extensions["database"].engine,
            lambda: client.post(url, json={"marks": marks}, headers=organiser.bearer),
        )
        assert [a["outcome"] for a in response.json["answers"]] == ["present"] * len(batch)
        return run

    one, many = statements_of(people[:1]), statements_of(people[1:])

    # The token; the event with its groups and dates and the access check; then the date's
    # people with their marks, the marks inserted, their journal entries.
    assert one == many == ["SELECT"] * 3 + ["INSERT", "INSERT"]


def test_the_check_in_page_of_a_date_not_open_says_why_and_offers_no_camera(
    client, make, accounts, db_session
):
    group = held_group(make, days_ago=(0,))
    coming = make.group(group.event)  # its dates are still to come
    log_in(client, accounts(group.event))
    group.dates[0].cancelled_at = utcnow()
    db_session.commit()

    def page_of(date):
        url = f"/organiser/events/{group.event.slug}/dates/{date.id}/checkin"
        return client.get(url).get_data(as_text=True)

    called_off, early = page_of(group.dates[0]), page_of(coming.dates[0])

    assert 'id="checkin-closed"' in called_off and "Cette date a été annulée" in called_off
    assert "qu'à partir du jour de la séance" in early.replace("&#39;", "'")
    assert (
        client.get(f"/organiser/events/{group.event.slug}/dates/999999/checkin").status_code == 404
    )
