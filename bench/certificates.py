"""Certificates of attendance per second, downloaded through the API by their holders,
beside WeasyPrint drawing the very same HTML pages directly (the floor: the library alone).

In process, on SQLite: the figure is the PDF drawing and what surrounds it (the look-up by
manage token, the completion check, the template, the QR code, the answer), not a server's.
Each figure is the best of alternating rounds.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from weasyprint import HTML

from bench.support import against_floor
from services.registration import create_app
from shared.database import db
from shared.documents import certificate_html
from shared.domain.certificates import issue
from shared.migrate import upgrade_database
from shared.models import Attendance
from tests.support.factories import Factory, local

HOLDERS = 20
ROUNDS = 3
AT_LEAST = 0.8  # of the library's own rate on the same pages
DAYS = [
    (local("2026-10-06T09:30"), local("2026-10-06T16:00")),
    (local("2026-10-13T09:30"), local("2026-10-13T16:00")),
]


def main() -> None:
    """Print certificates per second against WeasyPrint's own rate."""
    with tempfile.TemporaryDirectory(prefix="atelier-bench-certificates-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        upgrade_database(database_url)
        app = create_app({"DATABASE_URL": database_url, "RATE_LIMITS_ENABLED": False})
        with app.test_request_context():
            tokens, pages = holders()
        client = app.test_client()
        ours, library = [], []
        for _ in range(ROUNDS):
            ours.append(rate(lambda: [download(client, token) for token in tokens]))
            library.append(rate(lambda: [HTML(string=page).write_pdf() for page in pages]))
    against_floor(
        "certificates through the API (floor: WeasyPrint on the same HTML)",
        max(ours),
        max(library),
        "PDF/s",
        at_least=AT_LEAST,
    )


def holders() -> tuple[list[str], list[str]]:
    """Participants who completed a two-day workshop: their manage tokens and the HTML of
    their certificates, in the languages they chose."""
    make = Factory(db.session)
    event = make.event(registration_opens_at=None, issuer="Réseau Egalité")
    group = make.group(event, dates=DAYS, capacity=None)
    tokens, pages = [], []
    for n in range(HOLDERS):
        language = ("fr", "en", "uk")[n % 3]
        person = make.registration(group, at=local("2026-09-01T10:00"), language=language)
        for day in group.dates:
            db.session.add(Attendance(registration=person, session_date=day, present=True))
        db.session.commit()
        tokens.append(person.manage_token)
        pages.append(certificate_html(issue(db.session, person)))
    db.session.commit()
    return tokens, pages


def download(client: object, token: str) -> None:
    """One holder's certificate, as the API answers it."""
    response = client.get(f"/api/v1/registrations/{token}/certificate.pdf")  # type: ignore[attr-defined]
    assert response.status_code == 200, response.status_code


def rate(work: object) -> float:
    """PDFs per second of one pass over every holder."""
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return HOLDERS / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
