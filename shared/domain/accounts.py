"""The links that open or recover an organiser account, shared by the registration service
(which issues and checks them) and the worker (which writes them into emails).

As for evaluations, a link's token is stored nowhere: it is derived from a random nonce and
the secret key, and only its digest is kept to find the row again. The worker, holding the
same secret key, writes the link into the email; a copy of the database alone opens nothing.
"""

from __future__ import annotations

from datetime import timedelta

from shared.tokens import digest, keyed_digest

INVITATION_VALIDITY = timedelta(days=7)
RESET_VALIDITY = timedelta(hours=1)
INVITATION_PURPOSE = "invitation"
RESET_PURPOSE = "password-reset"


def account_link_token(purpose: str, nonce: str) -> str:
    """The token of a link (256 bits, URL-safe), derived from its nonce and the secret key."""
    return keyed_digest(f"account-{purpose}", nonce)


def link_digest(purpose: str, nonce: str) -> str:
    """The digest under which the link's row is found again from its token."""
    return digest(account_link_token(purpose, nonce))


# A personal API token lasts this long unless its owner chose otherwise at its creation.
TOKEN_LIFETIME_DAYS = 90
TOKEN_LONGEST_LIFETIME_DAYS = 365
# A login session ends this long after the login, however active: a copied cookie does not
# last for ever.
SESSION_LIFETIME = timedelta(days=7)
