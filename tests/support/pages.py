"""Reading and submitting the participant pages with the Flask test client."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token a form on the page at ``path`` carries."""
    page = client.get(path)
    found = CSRF_FIELD.search(page.get_data(as_text=True))
    assert found, f"no form with a CSRF token on {path}"
    return found.group(1)


def submit(client: FlaskClient, form_page: str, action: str, data: dict[str, Any]) -> TestResponse:
    """Post ``data`` to ``action`` as the form on ``form_page`` would, with its CSRF token."""
    return client.post(action, data={**data, "csrf_token": csrf_token(client, form_page)})


def text_of(response: TestResponse) -> str:
    """The page's HTML with its character references resolved ("d&#39;attente" as "d'attente")."""
    return html.unescape(response.get_data(as_text=True))


def registration_form(group: str, **overrides: Any) -> dict[str, Any]:
    """A complete, valid registration form for ``group``; keywords replace or add fields."""
    form = {
        "group": group,
        "first_name": "Olena",
        "last_name": "Kovalenko",
        "email": "olena@example.org",
        "phone": "",
        "organisation": "CPAS de Namur",
        "role": "field_worker",
        "commit_all_dates": "y",
        "consent": "y",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}
