"""Who the account emails go to, in-process: the invited address or the account, in the
language chosen; nobody once the link stopped working; no deactivated organiser alerted."""

from __future__ import annotations

import pytest
from flask import current_app

from services.notifications import operations
from services.registration.accounts import operations as accounts
from shared.database import utcnow
from shared.domain.accounts import INVITATION_PURPOSE, RESET_PURPOSE, account_link_token
from shared.models import EmailKind, Organiser, OutboxMessage
from tests.notifications.conftest import BASE_URL

pytestmark = pytest.mark.usefixtures("app_context")


def emails_of(session, kind: EmailKind):
    """The emails every outbox row of ``kind`` becomes, built as the worker builds them."""
    session.flush()
    rows = session.query(OutboxMessage).filter_by(kind=kind.value).order_by(OutboxMessage.id)
    return [
        operations.build(session, message_id)
        for outbox in rows
        for message_id in operations.create_messages(session, [outbox.id])
    ]


@pytest.fixture
def lead(db_session, make):
    event = make.event(title={"fr": "Atelier des partenaires"})
    organiser = Organiser(email="lead@example.org", name="Léa", password_hash="-", events=[event])
    db_session.add(organiser)
    db_session.flush()
    return organiser


def test_an_invitation_goes_to_the_invited_address_with_its_link(db_session, lead):
    invited = accounts.invite(db_session, lead, "new@example.org", lead.events, "fr")

    [email] = emails_of(db_session, EmailKind.ORGANISER_INVITATION)

    token = account_link_token(INVITATION_PURPOSE, invited.invitation.nonce)
    link = f"{BASE_URL}/organiser/invitations/{token}?lang=fr"
    assert email.recipients == ["new@example.org"]
    assert link in email.body and f'href="{link}"' in email.html
    assert "Léa vous invite" in email.body and "Atelier des partenaires" in email.body
    assert "/manage/" not in email.body


def test_a_withdrawn_invitation_is_never_sent(db_session, lead):
    invited = accounts.invite(db_session, lead, "new@example.org", lead.events, "fr")
    accounts.withdraw_invitation(db_session, lead, invited.invitation.id)

    assert emails_of(db_session, EmailKind.ORGANISER_INVITATION) == []


def test_a_reset_goes_to_the_account_in_the_language_asked_and_right_to_left_in_arabic(
    db_session, lead
):
    reset = accounts.request_reset(db_session, "LEAD@example.org", "ar")

    [email] = emails_of(db_session, EmailKind.PASSWORD_RESET)

    token = account_link_token(RESET_PURPOSE, reset.nonce)
    assert email.recipients == ["lead@example.org"]
    assert f"{BASE_URL}/organiser/password/reset/{token}?lang=ar" in email.body
    assert '<html lang="ar" dir="rtl">' in email.html
    assert current_app.config["SECRET_KEY"] not in email.body


def test_a_used_reset_is_never_sent(db_session, lead):
    reset = accounts.request_reset(db_session, lead.email, "fr")
    reset.used_at = utcnow()

    assert emails_of(db_session, EmailKind.PASSWORD_RESET) == []


def test_a_full_group_alerts_no_deactivated_organiser(db_session, make, lead):
    group = make.group(lead.events[0], capacity=1)
    gone = Organiser(email="gone@example.org", password_hash="-", events=[group.event])
    gone.deactivated_at = utcnow()
    db_session.add(gone)
    make.registration(group)

    [email] = emails_of(db_session, EmailKind.GROUP_FULL)

    assert email.recipients == ["lead@example.org"]
