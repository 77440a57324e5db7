"""The roster offers the group's certificates ZIP exactly when the ZIP would hold one: the
rule that fills it (earned, not revoked) decides, not presence alone."""

from __future__ import annotations

from shared.domain import certificates
from shared.models import Attendance
from tests.organiser.conftest import held_group, log_in, registered_before

ZIP_LINK = "certificates.zip"


def completed(make, db_session):
    """The only participant of a held group, present on both dates, with their certificate."""
    group = held_group(make)
    person = registered_before(make, group)
    for day in group.dates:
        db_session.add(Attendance(registration=person, session_date=day, present=True))
    certificate = certificates.issue(db_session, person)
    db_session.commit()
    return person, certificate


def _roster(client, person) -> str:
    page = client.get(f"/organiser/events/{person.event.slug}/groups/{person.group.slug}/")
    return page.get_data(as_text=True)


def test_the_roster_offers_the_zip_while_a_certificate_can_be_had(
    client, make, accounts, db_session
):
    person, _certificate = completed(make, db_session)
    log_in(client, accounts(person.event))

    assert ZIP_LINK in _roster(client, person)


def test_the_roster_offers_no_zip_once_the_only_certificate_was_revoked(
    client, make, accounts, db_session
):
    person, certificate = completed(make, db_session)
    account = accounts(person.event)
    certificates.revoke(db_session, certificate, account.organiser)
    db_session.commit()
    log_in(client, account)

    assert ZIP_LINK not in _roster(client, person)
    assert certificates.certifiable(db_session, [person]) == []
