"""Secret tokens: generated from the system CSPRNG or derived under the secret key, compared
and stored by digest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

TOKEN_BYTES = 24  # 192 bits


def new_token() -> str:
    """A fresh URL-safe token of 192 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def keyed_digest(purpose: str, value: str) -> str:
    """An HMAC-SHA256 of ``value`` for ``purpose`` under the secret key, URL-safe base64
    (43 characters): a token derived from a stored nonce, so that no table holds the token."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored or remembered."""
    return hashlib.sha256(token.encode()).hexdigest()
