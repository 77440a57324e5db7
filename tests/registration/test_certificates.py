"""Certificates of attendance: a PDF for whoever completed the training, in their language,
with a verification code that anyone can check, and that stops working once revoked or once
the holder's data is anonymised."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from shared.domain import certificates
from shared.domain.privacy import anonymise
from shared.domain.registrations import cancel
from shared.models import Attendance, Certificate, Organiser
from tests.support.factories import local
from tests.support.links import manage_token

DAYS = [
    (local("2026-10-06T09:30"), local("2026-10-06T16:00")),
    (local("2026-10-13T09:30"), local("2026-10-13T12:30")),
]


@pytest.fixture
def group(make):
    event = make.event(
        registration_opens_at=None,
        issuer="Réseau Egalité et PhiloCité Recherches",
        signatory_name="Claire Dupont",
        signatory_role={"fr": "Coordinatrice", "uk": "Координаторка"},
        title={"fr": "Pratiquer l'évaluation", "uk": "Практика оцінювання"},
    )
    return make.group(event, dates=DAYS, town="Jambes")


def attended(db_session, registration, *present):
    """Record presence (True) or absence (False) on the group's dates, in order."""
    for day, mark in zip(registration.group.dates, present, strict=False):
        db_session.add(Attendance(registration=registration, session_date=day, present=mark))
    db_session.commit()


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_a_completed_participant_downloads_a_certificate_in_their_language(
    client, make, group, db_session
):
    olena = make.registration(
        group,
        at=local("2026-09-01T10:00"),
        first_name="Олена",
        last_name="Коваленко",
        language="uk",
    )
    attended(db_session, olena, True, True)

    text = " ".join(
        pdf_text(client.get(f"/api/v1/registrations/{manage_token(olena)}/certificate.pdf")).split()
    )
    code = db_session.scalar(
        select(Certificate.code).where(Certificate.registration_id == olena.id)
    )

    assert "Олена Коваленко" in text
    assert "Практика оцінювання" in text
    assert "Координаторка" in text and "Claire Dupont" in text
    assert "6 жовтня 2026" in text and "13 жовтня 2026" in text
    assert "09:30–16:00" in text and "09:30–12:30" in text
    assert "9,5 години" in text  # 6.5 + 3 hours, in Ukrainian
    assert code in text.replace(" ", "") and f"/certificates/{code}" in text.replace(" ", "")
    assert len(code) >= 22  # at least 128 bits, URL-safe


def test_the_manage_page_offers_the_certificate_once_completed(client, make, group, db_session):
    person = make.registration(group, at=local("2026-09-01T10:00"))
    page = f"/manage/{manage_token(person)}"
    assert "certificate.pdf" not in client.get(page).get_data(as_text=True)

    attended(db_session, person, True, True)
    html = client.get(page).get_data(as_text=True)

    assert f"/manage/{manage_token(person)}/certificate.pdf" in html
    assert "Attestation de participation" in pdf_text(client.get(f"{page}/certificate.pdf"))


def test_without_presence_on_every_date_the_answer_names_the_missing_dates(
    client, make, group, db_session
):
    person = make.registration(group, at=local("2026-09-01T10:00"))
    attended(db_session, person, True, False)

    response = client.get(
        f"/api/v1/registrations/{manage_token(person)}/certificate.pdf",
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 409
    assert response.json["code"] == "not_completed"
    assert response.json["errors"] == {"dates": ["Tuesday, October 13, 2026"]}
    assert "Tuesday, October 13, 2026" in response.json["message"]
    assert db_session.scalar(select(Certificate.id)) is None


def test_anyone_checks_a_code_and_learns_only_what_it_attests(client, make, group, db_session):
    person = make.registration(
        group, at=local("2026-09-01T10:00"), first_name="Aïcha", last_name="Benali"
    )
    attended(db_session, person, True, True)
    client.get(f"/api/v1/registrations/{manage_token(person)}/certificate.pdf")
    code = db_session.scalar(select(Certificate.code))

    checked = client.get(f"/api/v1/certificates/{code}", headers={"Accept-Language": "uk"})
    page = client.get(f"/certificates/{code}?lang=en")

    assert checked.status_code == 200
    assert set(checked.json) == {"holder", "event", "issuer", "town", "dates", "hours", "issued_at"}
    assert checked.json["holder"] == "Aïcha Benali"
    assert checked.json["event"] == "Практика оцінювання"
    assert checked.json["hours"] == 9.5
    assert [d["hours"] for d in checked.json["dates"]] == [6.5, 3.0]
    assert checked.json["issued_at"]
    assert person.email not in checked.get_data(as_text=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "This certificate is genuine." in html and "Aïcha Benali" in html
    assert person.email not in html and manage_token(person) not in html


def test_an_unknown_code_is_404_a_revoked_or_anonymised_one_410(client, make, group, db_session):
    revoked, erased = (make.registration(group, at=local("2026-09-01T10:00")) for _ in range(2))
    codes = []
    for person in (revoked, erased):
        attended(db_session, person, True, True)
        codes.append(certificates.issue(db_session, person).code)
    db_session.commit()
    organiser = Organiser(email="coord@example.org", name="Coord", password_hash="x")
    db_session.add(organiser)
    certificates.revoke(db_session, certificates.verify(db_session, codes[0]), organiser)
    anonymise(erased)
    db_session.commit()

    assert client.get("/api/v1/certificates/no-such-code").status_code == 404
    assert client.get("/certificates/no-such-code").status_code == 404
    for code in codes:
        assert client.get(f"/api/v1/certificates/{code}").status_code == 410
        assert client.get(f"/certificates/{code}").status_code == 410
    assert (
        client.get(f"/api/v1/registrations/{manage_token(revoked)}/certificate.pdf").status_code
        == 410
    )


def test_a_code_stops_working_once_its_holder_no_longer_earns_it(client, make, group, db_session):
    """An organiser cancelling the place, or correcting a presence to an absence, withdraws
    what the certificate attested."""
    cancelled, corrected = (
        make.registration(group, at=local("2026-09-01T10:00")) for _ in range(2)
    )
    codes = []
    for person in (cancelled, corrected):
        attended(db_session, person, True, True)
        codes.append(certificates.issue(db_session, person).code)
    db_session.commit()

    cancel(db_session, cancelled)
    corrected.attendances[1].present = False
    db_session.commit()

    for code in codes:
        answer = client.get(f"/api/v1/certificates/{code}", headers={"Accept-Language": "en"})
        assert (answer.status_code, answer.json["message"]) == (
            410,
            "This certificate is no longer valid.",
        )
        assert client.get(f"/certificates/{code}").status_code == 410
    for person in (cancelled, corrected):
        download = client.get(f"/api/v1/registrations/{manage_token(person)}/certificate.pdf")
        assert download.status_code == 410


def test_the_manage_page_stops_offering_a_revoked_certificate(client, make, group, db_session):
    person = make.registration(group, at=local("2026-09-01T10:00"))
    attended(db_session, person, True, True)
    certificate = certificates.issue(db_session, person)
    organiser = Organiser(email="coord2@example.org", name="Coord", password_hash="x")
    db_session.add(organiser)
    certificates.revoke(db_session, certificate, organiser)
    db_session.commit()

    html = client.get(f"/manage/{manage_token(person)}").get_data(as_text=True)

    assert "certificate.pdf" not in html


def test_a_certificate_keeps_its_code_and_date_of_issue(client, make, group, db_session):
    person = make.registration(group, at=local("2026-09-01T10:00"))
    attended(db_session, person, True, True)

    first = certificates.issue(db_session, person)
    again = certificates.issue(db_session, person)

    assert (again.id, again.code, again.issued_at) == (first.id, first.code, first.issued_at)


def test_an_arabic_certificate_is_drawn_right_to_left_in_an_arabic_font(
    client, make, group, db_session
):
    amal = make.registration(
        group, at=local("2026-09-01T10:00"), first_name="أمل", last_name="حداد", language="ar"
    )
    attended(db_session, amal, True, True)

    response = client.get(f"/api/v1/registrations/{manage_token(amal)}/certificate.pdf")

    reader = PdfReader(io.BytesIO(response.data))
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("Arabic" in font for font in fonts), fonts
    assert re.search(r"[\u0600-\u06ff\ufb50-\ufeff]", pdf_text(response))
