"""QR codes of personal check-in codes, drawn by segno: as an SVG data URI for a page and as
PNG bytes for an email."""

from __future__ import annotations

import io

# Medium error correction: a code on a cracked phone screen or a creased printout still reads.
ERROR_LEVEL = "m"


def svg_data_uri(text: str, *, scale: int = 5) -> str:
    """The QR code of ``text`` as an SVG data URI, for an ``img`` of a page."""
    import segno  # on first use: most requests draw no QR code

    return str(segno.make(text, error=ERROR_LEVEL).svg_data_uri(scale=scale, border=2))


def png(text: str, *, scale: int = 8) -> bytes:
    """The QR code of ``text`` as PNG bytes, for an email's attachment."""
    import segno  # on first use: most processes send no email with a QR code

    out = io.BytesIO()
    segno.make(text, error=ERROR_LEVEL).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
