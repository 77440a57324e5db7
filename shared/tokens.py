"""Secret tokens: generated from the system CSPRNG, compared and stored by digest."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 24  # 192 bits


def new_token() -> str:
    """A fresh URL-safe token of 192 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored or remembered."""
    return hashlib.sha256(token.encode()).hexdigest()
