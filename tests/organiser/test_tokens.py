"""Personal API tokens in the browser and the API: created with a name and shown once, listed
with their last use, revoked (stopping at once), never another organiser's."""

from __future__ import annotations

import re

from sqlalchemy import select

from shared.models import ApiToken, AuditEntry
from tests.organiser.conftest import log_in, post_form

SHOWN = re.compile(r'<code class="secret" dir="ltr">([^<]+)</code>')


def test_a_token_made_in_the_browser_is_shown_once_works_and_is_revoked(
    client, db_session, make, accounts
):
    event = make.event()
    account = accounts(event)
    log_in(client, account)
    dashboard = f"/api/v1/events/{event.slug}/dashboard"

    created = post_form(client, "/organiser/account/tokens", name="Tableur du réseau")
    value = SHOWN.search(created.text)[1]
    bearer = {"Authorization": f"Bearer {value}"}
    used = client.get(dashboard, headers=bearer)
    listing = client.get("/organiser/account").text
    api_token = db_session.scalars(
        select(ApiToken).where(ApiToken.name == "Tableur du réseau")
    ).one()
    revoked = post_form(client, f"/organiser/account/tokens/{api_token.id}/revoke")

    assert created.status_code == 200 and value not in listing
    assert created.headers["Cache-Control"] == "no-store"
    assert used.status_code == 200
    assert "Tableur du réseau" in listing
    db_session.refresh(api_token)
    assert api_token.last_used_at is not None
    assert revoked.status_code == 303
    assert client.get(dashboard, headers=bearer).status_code == 401
    assert "Tableur du réseau" not in client.get("/organiser/account").text
    actions = db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["token.created", "token.revoked"]


def test_the_api_lists_creates_and_revokes_ones_own_tokens_only(client, make, accounts):
    event = make.event()
    account = accounts(event)
    other = accounts(event)

    created = client.post(
        "/api/v1/organiser/tokens", json={"name": "Script"}, headers=account.bearer
    )
    listed = client.get("/api/v1/organiser/tokens", headers=account.bearer).json
    not_theirs = client.delete(
        f"/api/v1/organiser/tokens/{created.json['id']}", headers=other.bearer
    )
    nameless = client.post("/api/v1/organiser/tokens", json={"name": ""}, headers=account.bearer)
    revoked = client.delete(
        f"/api/v1/organiser/tokens/{created.json['id']}", headers=account.bearer
    )

    assert created.status_code == 201 and len(created.json["token"]) >= 32
    assert [t["name"] for t in listed] == ["Script", ""]  # newest first, the fixture's token
    assert "token" not in listed[0]
    assert listed[1]["last_used_at"] is not None  # this very request used it
    assert not_theirs.status_code == 404
    assert nameless.status_code == 422
    assert revoked.status_code == 204
    bearer = {"Authorization": f"Bearer {created.json['token']}"}
    assert client.get("/api/v1/organiser/tokens", headers=bearer).status_code == 401
