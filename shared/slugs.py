"""Slugs: the lowercase ASCII names events, groups and towns go by in addresses."""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 80


def slugify(text: str) -> str:
    """A slug made from a name: "Court-Saint-Étienne" -> "court-saint-etienne"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
