"""What organisers do with certificates of attendance: name who issues and signs them, and
revoke one issued in error."""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfReader

from shared.domain import certificates
from shared.models import Attendance, Event
from tests.organiser.conftest import audit_actions, held_group, log_in, post_form, registered_before


def completed(make, db_session, event=None):
    """A participant present on both held dates of a group, with their certificate issued."""
    group = held_group(make, event)
    person = registered_before(make, group)
    for day in group.dates:
        db_session.add(Attendance(registration=person, session_date=day, present=True))
    certificate = certificates.issue(db_session, person)
    db_session.commit()
    return person, certificate


def revoke_url(person):
    return f"/api/v1/events/{person.event.slug}/registrations/{person.id}/certificate/revoke"


def test_an_organiser_revokes_acertificate_and_its_code_stops_working(
    client, make, accounts, db_session
):
    person, certificate = completed(make, db_session)
    account = accounts(person.event)
    assert client.get(f"/api/v1/certificates/{certificate.code}").status_code == 200

    revoked = client.post(revoke_url(person), headers=account.bearer)
    again = client.post(revoke_url(person), headers=account.bearer)

    assert revoked.status_code == again.status_code == 200
    assert revoked.json["revoked_at"] and revoked.json["code"] == certificate.code
    assert client.get(f"/api/v1/certificates/{certificate.code}").status_code == 410
    assert [a for a in audit_actions(db_session) if a[0] == "certificate.revoked"] == [
        ("certificate.revoked", account.organiser.id, person.id)
    ]


def test_revoking_needs_an_issuedcertificate_and_the_events_organiser(
    client, make, accounts, db_session
):
    person, certificate = completed(make, db_session)
    without = registered_before(make, person.group)
    stranger = accounts(make.event())

    assert (
        client.post(revoke_url(without), headers=accounts(person.event).bearer).status_code == 404
    )
    assert client.post(revoke_url(person), headers=stranger.bearer).status_code == 403
    assert client.post(revoke_url(person)).status_code == 401
    assert client.get(f"/api/v1/certificates/{certificate.code}").status_code == 200


def test_the_issuer_and_signatory_are_set_on_the_event_by_api_and_by_form(
    client, make, accounts, db_session
):
    event = make.event()
    account = accounts(event)

    patched = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"issuer": "Réseau Egalité", "signatory_role": {"fr": "Coordinatrice"}},
        headers=account.bearer,
    )
    log_in(client, account)
    form = post_form(
        client,
        f"/organiser/events/{event.slug}/edit",
        title_fr="Atelier",
        kind="workshop",
        attendance_rule="all_dates",
        language="fr",
        price="0",
        issuer="Réseau Egalité",
        signatory_name="Claire Dupont",
        signatory_role_fr="Coordinatrice",
        signatory_role_uk="Координаторка",
    )

    assert patched.status_code == 200
    assert patched.json["issuer"] == "Réseau Egalité"
    assert form.status_code == 303
    db_session.expire_all()
    stored = db_session.get(Event, event.id)
    assert (stored.issuer, stored.signatory_name) == ("Réseau Egalité", "Claire Dupont")
    assert stored.signatory_role == {"fr": "Coordinatrice", "uk": "Координаторка"}


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split()
    )


def test_a_groups_certificates_come_in_one_zip_for_those_who_completed(
    client, make, accounts, db_session
):
    group = held_group(make)
    people = [
        registered_before(make, group, first_name=first, last_name=last, language=language)
        for first, last, language in (
            ("Amina", "Benali", "fr"),
            ("Олена", "Коваленко", "uk"),
            ("Jan", "Claes", "fr"),
        )
    ]
    for person, second_day in zip(people, (True, True, False), strict=True):
        for day, mark in zip(group.dates, (True, second_day), strict=True):
            db_session.add(Attendance(registration=person, session_date=day, present=mark))
    db_session.commit()
    account = accounts(group.event)
    url = f"/api/v1/events/{group.event.slug}/groups/{group.slug}/certificates.zip"

    response = client.get(url, headers=account.bearer)
    log_in(client, account)
    page = client.get(f"/organiser/events/{group.event.slug}/groups/{group.slug}/certificates.zip")

    assert response.status_code == page.status_code == 200
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        texts = [pdf_text(archive.read(name)) for name in names]
    assert names == ["01-Benali-Amina.pdf", "02-Коваленко-Олена.pdf"]
    assert "Amina Benali" in texts[0] and "Attestation de participation" in texts[0]
    assert "Олена Коваленко" in texts[1] and "Свідоцтво про участь" in texts[1]


def test_the_zip_is_empty_before_anyone_completed(client, make, accounts, db_session):
    group = held_group(make)
    registered_before(make, group)
    url = f"/api/v1/events/{group.event.slug}/groups/{group.slug}/certificates.zip"

    response = client.get(url, headers=accounts(group.event).bearer)

    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == []


def test_the_attendance_sheet_lists_presence_per_date_with_totals(
    client, make, accounts, db_session
):
    group = held_group(make, venue_name="DICS", name="Namur et Luxembourg")
    present = registered_before(make, group, first_name="Amina", last_name="Benali")
    absent = registered_before(make, group, first_name="Jan", last_name="Claes")
    for person, mark in ((present, True), (absent, False)):
        db_session.add(Attendance(registration=person, session_date=group.dates[0], present=mark))
    db_session.commit()
    account = accounts(group.event)
    path = f"/events/{group.event.slug}/groups/{group.slug}/attendance-sheet.pdf"

    response = client.get(f"/api/v1{path}", headers=account.bearer)
    log_in(client, account)
    page = client.get(f"/organiser{path}")

    assert response.status_code == page.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Feuille de présence" in text and "Namur et Luxembourg" in text
    assert "Benali" in text and "Claes" in text
    assert "Présent" in text and "Absent" in text
    assert "1 / 2" in text  # present on the first date, of those expected
    assert "0 / 2" in text  # the second date: nothing recorded yet


def test_the_roster_page_revokes_a_certificate(client, make, accounts, db_session):
    person, certificate = completed(make, db_session)
    log_in(client, accounts(person.event))
    roster = f"/organiser/events/{person.event.slug}/groups/{person.group.slug}/"
    assert certificate.code in client.get(roster).get_data(as_text=True)

    revoked = post_form(
        client,
        f"/organiser/events/{person.event.slug}/registrations/{person.id}/certificate/revoke",
    )
    page = client.get(revoked.headers["Location"]).get_data(as_text=True)

    assert revoked.status_code == 303
    assert "Attestation révoquée." in page and certificate.code not in page
    assert client.get(f"/api/v1/certificates/{certificate.code}").status_code == 410


def test_zip_entries_never_make_folders_out_of_names(client, make, accounts, db_session):
    group = held_group(make)
    person = registered_before(make, group, first_name="x", last_name="/../../tmp/evil")
    for day in group.dates:
        db_session.add(Attendance(registration=person, session_date=day, present=True))
    db_session.commit()
    url = f"/api/v1/events/{group.event.slug}/groups/{group.slug}/certificates.zip"

    response = client.get(url, headers=accounts(group.event).bearer)

    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        [name] = archive.namelist()
    assert "/" not in name and ".." not in name
