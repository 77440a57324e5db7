"""Request bodies for the registration API, and sending them."""

from __future__ import annotations

import itertools
from typing import Any

_serial = itertools.count(1)


def registration_body(group_slug: str, **overrides: Any) -> dict[str, Any]:
    """A valid registration request for ``group_slug``; keywords override fields."""
    n = next(_serial)
    body: dict[str, Any] = {
        "group": group_slug,
        "first_name": "Aïcha",
        "last_name": f"Benali {n}",
        "email": f"aicha.{n}@example.org",
        "phone": "+32 81 77 51 91",
        "organisation": "CPAS de Namur",
        "role": "field_worker",
        "language": "fr",
        "consent": True,
        "commit_all_dates": True,
    }
    body.update(overrides)
    return body


def register(client: Any, group: Any, **overrides: Any) -> Any:
    """POST a registration for ``group`` (of its event)."""
    return client.post(
        f"/api/v1/events/{group.event.slug}/registrations",
        json=registration_body(group.slug, **overrides),
    )
