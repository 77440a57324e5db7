"""An account email goes out only while its link would still work where it leads: the
worker asks the same question as the page that opens the link."""

from __future__ import annotations

from services.notifications.emails import account_recipient
from shared.database import utcnow
from shared.domain.accounts import RESET_VALIDITY
from shared.models import EmailKind, Organiser, PasswordReset


def _reset(db_session, **organiser_fields) -> PasswordReset:
    now = utcnow()
    organiser = Organiser(
        email="forgetful@example.org", password_hash="not-used-here", **organiser_fields
    )
    reset = PasswordReset(
        organiser=organiser,
        language="fr",
        nonce="nonce",
        token_digest="digest",
        created_at=now,
        expires_at=now + RESET_VALIDITY,
    )
    db_session.add(reset)
    db_session.commit()
    return reset


def test_a_reset_link_is_sent_while_it_works(app_context, db_session):
    reset = _reset(db_session)

    found = account_recipient(db_session, EmailKind.PASSWORD_RESET, {"reset_id": reset.id})

    assert found == ("forgetful@example.org", "fr")


def test_no_reset_link_is_sent_for_an_account_deactivated_since(app_context, db_session):
    reset = _reset(db_session, deactivated_at=utcnow())

    found = account_recipient(db_session, EmailKind.PASSWORD_RESET, {"reset_id": reset.id})

    assert found is None
