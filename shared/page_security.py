"""What a browser may do with a page of any service: load only the service's own scripts and
styles, be framed by no site, tell no other site where its visitor came from."""

from __future__ import annotations

# Each page adds what it needs beyond this (images, forms, fetches), and nothing more.
_BASE_POLICY = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
)


def content_security_policy(*directives: str) -> str:
    """The policy every page starts from, with ``directives`` added."""
    return "; ".join([*_BASE_POLICY, *directives])


def page_headers(*directives: str) -> dict[str, str]:
    """The security headers of an HTML page whose policy adds ``directives``."""
    return {
        "Content-Security-Policy": content_security_policy(*directives),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # Manage and confirmation addresses hold a secret token; no page needs to tell other
        # sites where a visitor came from, so none does (fewer chances to leak a token).
        "Referrer-Policy": "no-referrer",
    }
