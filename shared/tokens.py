"""Secret tokens: generated from the system CSPRNG or derived under the secret key, compared
and stored by digest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from enum import Enum

from flask import current_app

from shared.errors import Gone, NotFound

TOKEN_BYTES = 24  # 192 bits


def new_token() -> str:
    """A fresh URL-safe token of 192 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


MAC_LENGTH = 43  # characters of an HMAC-SHA256 in URL-safe base64 without padding


def keyed_digest(purpose: str, value: str) -> str:
    """An HMAC-SHA256 of ``value`` for ``purpose`` under the secret key, URL-safe base64
    (43 characters): a token derived from a stored nonce, so that no table holds the token."""
    return mac(secret_key(), purpose, value)


def secret_key() -> str:
    """The running application's secret key, from which link tokens are derived."""
    return str(current_app.config["SECRET_KEY"])


def mac(secret: str, purpose: str, value: str) -> str:
    """An HMAC-SHA256 of ``value`` for ``purpose`` under ``secret``, URL-safe base64."""
    code = hmac.digest(secret.encode(), f"{purpose}:{value}".encode(), "sha256")
    return base64.urlsafe_b64encode(code).rstrip(b"=").decode()


def registration_token(secret: str, kind: str, registration_id: int, version: int) -> str:
    """The token of a registration's manage or calendar link: its id, then a MAC of the kind,
    the id and the link's version under ``secret``. No table holds it; it is derived again."""
    code = mac(secret, f"registration-{kind}", f"{registration_id}:{version}")
    return f"{registration_id}-{code}"


def registration_id_of(token: str) -> int | None:
    """The registration id a token of the derived form names, or None for any other token
    (those of links sent before tokens were derived)."""
    prefix, dash, code = token.partition("-")
    if not dash or len(code) != MAC_LENGTH or not prefix.isascii() or not prefix.isdigit():
        return None
    if len(prefix) > 18 or prefix.startswith("0"):
        return None
    return int(prefix)


def token_matches(secret: str, token: str, kind: str, registration_id: int, version: int) -> bool:
    """Whether ``token`` is the registration's link token at ``version``, in constant time."""
    expected = registration_token(secret, kind, registration_id, version)
    return hmac.compare_digest(expected.encode(), token.encode())


class Standing(Enum):
    """What a derived token is to its holder."""

    CURRENT = "current"
    REPLACED = "replaced"  # one the holder had before a renewal: 410 where a link answers
    UNKNOWN = "unknown"


def standing_of(
    token: str, kind: str, holder_id: int, version: int, *, secret: str | None = None
) -> Standing:
    """Whether ``token`` is the holder's token of ``kind`` at ``version``, one of its earlier
    versions, or neither; under ``secret`` if given (read once for a batch of tokens), else
    the application's secret key."""
    secret = secret_key() if secret is None else secret
    if token_matches(secret, token, kind, holder_id, version):
        return Standing.CURRENT
    if any(token_matches(secret, token, kind, holder_id, v) for v in range(version)):
        return Standing.REPLACED
    return Standing.UNKNOWN


def require_current(token: str, kind: str, holder_id: int, version: int) -> None:
    """Nothing when ``token`` is the holder's current one; 410 for one it replaced, else 404
    (revealing nothing)."""
    standing = standing_of(token, kind, holder_id, version)
    if standing is Standing.REPLACED:
        raise Gone()
    if standing is Standing.UNKNOWN:
        raise NotFound()


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored or remembered."""
    return hashlib.sha256(token.encode()).hexdigest()
