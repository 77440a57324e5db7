"""An organiser erases a participant on request: the place goes to the next in line, the
person's details are replaced, the erasure is logged, and no email goes to the erased."""

from __future__ import annotations

from shared.domain.privacy import ANONYMOUS
from shared.models import EmailKind, Registration, RegistrationStatus
from tests.organiser.conftest import audit_actions, log_in, outbox_kinds, post_form


def test_erasing_a_participant_frees_the_place_and_replaces_their_details(
    client, make, accounts, db_session
):
    group = make.group(capacity=1)
    erased = make.registration(group, first_name="Iryna", email="iryna@example.org")
    waiting = make.registration(group)
    account = accounts(group.event)
    kinds_before = outbox_kinds(db_session)

    response = client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{erased.id}/erase",
        headers=account.bearer,
    )

    assert response.status_code == 200
    db_session.expire_all()
    erased, waiting = (
        db_session.get(Registration, erased.id),
        db_session.get(Registration, waiting.id),
    )
    assert (erased.first_name, erased.status) == (ANONYMOUS, RegistrationStatus.CANCELLED)
    assert "iryna" not in erased.email and erased.phone is None
    assert waiting.status is RegistrationStatus.CONFIRMED
    new_mail = outbox_kinds(db_session)[len(kinds_before) :]
    assert (EmailKind.PROMOTED, waiting.id) in new_mail
    assert all(registration_id != erased.id for _kind, registration_id in new_mail)
    assert ("registration.erased", account.organiser.id, erased.id) in audit_actions(db_session)


def test_erasing_twice_is_refused(client, make, accounts):
    group = make.group()
    registration = make.registration(group)
    account = accounts(group.event)
    url = f"/api/v1/events/{group.event.slug}/registrations/{registration.id}/erase"
    client.post(url, headers=account.bearer)

    again = client.post(url, headers=account.bearer)

    assert again.status_code == 422


def test_erasing_from_the_roster_page(client, make, accounts, db_session):
    group = make.group()
    registration = make.registration(group, last_name="Kovalenko")
    account = accounts(group.event)
    log_in(client, account)

    response = post_form(
        client, f"/organiser/events/{group.event.slug}/registrations/{registration.id}/erase"
    )

    assert response.status_code in (302, 303)
    db_session.expire_all()
    assert db_session.get(Registration, registration.id).last_name == ANONYMOUS
