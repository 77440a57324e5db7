"""Invitations, event teams and the administrators' accounts page, through the pages and the
API: links used once, never a 500 for a dead link, the last organiser kept, access lost at
once, every change in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from shared.access import SESSION_KEY, SESSION_VERSION_KEY
from shared.database import utcnow
from shared.domain.accounts import INVITATION_PURPOSE, INVITATION_VALIDITY, account_link_token
from shared.models import AuditEntry, EmailKind, Organiser, OrganiserInvitation, OutboxMessage
from tests.organiser.conftest import PASSWORD, changes_recorded, csrf_token, log_in, post_form

NEW_PASSWORD = "a brand new passphrase"


def invitation_link(app: Flask, invitation: OrganiserInvitation) -> str:
    """The path the invitation's email carries, derived as the worker derives it."""
    with app.app_context():
        return f"/organiser/invitations/{account_link_token(INVITATION_PURPOSE, invitation.nonce)}"


def only_invitation(db_session, email: str) -> OrganiserInvitation:
    db_session.expire_all()
    return db_session.scalars(
        select(OrganiserInvitation).where(OrganiserInvitation.email == email)
    ).one()


def audit_of(db_session, action: str) -> list[AuditEntry]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_organiser_invites_by_email_and_the_link_opens_an_account_once(
    app, client, db_session, make, accounts
):
    event = make.event()
    inviter = accounts(event)
    log_in(client, inviter)

    sent = post_form(
        client, "/organiser/invitations", email="Nadia@Example.org", events=[event.slug]
    )

    assert sent.status_code == 303
    listing = client.get("/organiser/invitations").get_data(as_text=True)
    assert "Invitation envoyée à nadia@example.org." in listing
    assert "nadia@example.org" in listing
    invitation = only_invitation(db_session, "nadia@example.org")
    assert [e.id for e in invitation.events] == [event.id]
    assert invitation.expires_at - invitation.created_at == INVITATION_VALIDITY
    # Only the digest is stored; the outbox row names the invitation, not its token.
    link = invitation_link(app, invitation)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 22 and token not in str(invitation.__dict__)
    [outbox] = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == EmailKind.ORGANISER_INVITATION.value)
    )
    assert outbox.payload == {"invitation_id": invitation.id} and token not in str(outbox.payload)
    [entry] = audit_of(db_session, "invitation.sent")
    assert entry.organiser_id == inviter.organiser.id and entry.event_id == event.id

    newcomer = app.test_client()
    form = newcomer.get(link)
    assert form.status_code == 200 and "nadia@example.org" in form.get_data(as_text=True)
    accepted = newcomer.post(
        link,
        data={
            "name": "Nadia",
            "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD,
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1],
        },
    )

    assert accepted.status_code == 303 and accepted.headers["Location"] == "/organiser/"
    home = newcomer.get("/organiser/")
    assert home.status_code == 200 and event.localized("title", "fr") in home.text
    assert newcomer.get(f"/organiser/events/{event.slug}/").status_code == 200
    account = db_session.scalars(
        select(Organiser).where(Organiser.email == "nadia@example.org")
    ).one()
    assert account.name == "Nadia" and [e.id for e in account.events] == [event.id]
    assert audit_of(db_session, "invitation.accepted")[0].organiser_id == account.id
    # Used once: the link now answers a clear page, from any browser.
    again = app.test_client().get(link)
    assert again.status_code == 410
    assert "Ce lien a déjà servi" in again.text


def test_a_dead_or_unknown_invitation_link_answers_a_page_never_a_500(
    app, client, db_session, make, accounts
):
    event = make.event()
    inviter = accounts(event)
    log_in(client, inviter)
    post_form(client, "/organiser/invitations", email="late@example.org", events=[event.slug])
    invitation = only_invitation(db_session, "late@example.org")
    link = invitation_link(app, invitation)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()

    expired = app.test_client().get(link)
    submitted = app.test_client().post(link, data={"password": NEW_PASSWORD})
    unknown = app.test_client().get("/organiser/invitations/not-a-real-token")

    assert expired.status_code == 410 and "Ce lien a expiré" in expired.text
    assert submitted.status_code in (400, 410)  # no CSRF token, or the expired page
    assert unknown.status_code == 404 and "Ce lien n'est pas valide" in unknown.text
    assert db_session.scalar(select(Organiser).where(Organiser.email == "late@example.org")) is None


def test_a_withdrawn_invitation_no_longer_opens_anything(app, client, db_session, make, accounts):
    event = make.event()
    log_in(client, accounts(event))
    post_form(client, "/organiser/invitations", email="maybe@example.org", events=[event.slug])
    invitation = only_invitation(db_session, "maybe@example.org")

    withdrawn = post_form(client, f"/organiser/invitations/{invitation.id}/withdraw")

    assert withdrawn.status_code == 303
    assert "maybe@example.org" not in client.get("/organiser/invitations").text
    assert app.test_client().get(invitation_link(app, invitation)).status_code == 410
    assert len(audit_of(db_session, "invitation.withdrawn")) == 1


def test_inviting_an_address_with_an_account_gives_it_the_events_at_once(
    client, db_session, make, accounts
):
    first, second = make.event(), make.event()
    inviter = accounts(first, second)
    existing = accounts(first, email="existing@example.org")
    log_in(client, inviter)

    response = post_form(
        client,
        "/organiser/invitations",
        email="EXISTING@example.org",
        events=[first.slug, second.slug],
    )

    assert response.status_code == 303
    assert "existing@example.org a déjà un compte" in client.get("/organiser/invitations").text
    db_session.expire_all()
    assert {e.id for e in existing.organiser.events} == {first.id, second.id}
    assert db_session.scalars(select(OrganiserInvitation)).all() == []
    [added] = audit_of(db_session, "team.added")
    assert added.event_id == second.id and added.details["account_id"] == existing.organiser.id


def test_nobody_invites_to_an_event_they_do_not_run(client, db_session, make, accounts):
    mine, theirs = make.event(), make.event()
    log_in(client, accounts(mine))

    refused = post_form(
        client, "/organiser/invitations", email="x@example.org", events=[mine.slug, theirs.slug]
    )

    assert refused.status_code == 403
    assert db_session.scalars(select(OrganiserInvitation)).all() == []


def test_the_event_page_lists_its_team_and_invites_into_it(client, db_session, make, accounts):
    event = make.event()
    lead = accounts(event)
    colleague = accounts(event)
    log_in(client, lead)

    page = client.get(f"/organiser/events/{event.slug}/").text
    invited = post_form(client, f"/organiser/events/{event.slug}/team", email="new@example.org")

    assert lead.organiser.email in page and colleague.organiser.email in page
    assert invited.status_code == 303
    assert "new@example.org" in client.get(f"/organiser/events/{event.slug}/").text
    assert [e.id for e in only_invitation(db_session, "new@example.org").events] == [event.id]


def test_a_removed_organiser_loses_the_roster_at_once_in_the_api_and_the_pages(
    app, client, db_session, make, accounts
):
    group = make.group()
    event = group.event
    lead = accounts(event)
    removed = accounts(event)
    roster_api = f"/api/v1/events/{event.slug}/groups/{group.slug}/roster"
    roster_page = f"/organiser/events/{event.slug}/groups/{group.slug}/"
    their_browser = app.test_client()
    log_in(their_browser, removed)
    assert their_browser.get(roster_page).status_code == 200
    assert client.get(roster_api, headers=removed.bearer).status_code == 200

    response = client.delete(
        f"/api/v1/events/{event.slug}/organisers/{removed.organiser.id}", headers=lead.bearer
    )

    assert response.status_code == 204
    assert client.get(roster_api, headers=removed.bearer).status_code == 403
    assert their_browser.get(roster_page).status_code == 403
    team = client.get(f"/api/v1/events/{event.slug}/organisers", headers=lead.bearer).json
    assert [member["email"] for member in team] == [lead.organiser.email]
    [entry] = audit_of(db_session, "team.removed")
    assert entry.organiser_id == lead.organiser.id
    assert entry.details["account_id"] == removed.organiser.id


def test_nobody_removes_the_last_organiser_of_an_event(client, db_session, make, accounts):
    event = make.event()
    lead = accounts(event)
    log_in(client, lead)

    api = client.delete(
        f"/api/v1/events/{event.slug}/organisers/{lead.organiser.id}", headers=lead.bearer
    )
    page = post_form(client, f"/organiser/events/{event.slug}/team/{lead.organiser.id}/remove")

    assert api.status_code == 409 and api.json["code"] == "last_organiser"
    assert page.status_code == 409 and "dernière personne" in page.text
    db_session.expire_all()
    assert [o.id for o in event.organisers] == [lead.organiser.id]


def test_an_organiser_removes_a_colleague_from_the_event_page(client, db_session, make, accounts):
    event = make.event()
    lead, colleague = accounts(event), accounts(event)
    log_in(client, lead)

    response = post_form(
        client, f"/organiser/events/{event.slug}/team/{colleague.organiser.id}/remove"
    )

    assert response.status_code == 303
    db_session.expire_all()
    assert [o.id for o in event.organisers] == [lead.organiser.id]


def test_the_api_invites_lists_and_withdraws(client, db_session, make, accounts):
    event = make.event()
    lead = accounts(event)

    created = client.post(
        "/api/v1/organiser/invitations",
        json={"email": "api@example.org", "events": [event.slug], "language": "uk"},
        headers=lead.bearer,
    )
    listed = client.get("/api/v1/organiser/invitations", headers=lead.bearer)
    stranger = accounts(make.event())
    not_theirs = client.delete(
        f"/api/v1/organiser/invitations/{created.json['invitation']['id']}",
        headers=stranger.bearer,
    )
    withdrawn = client.delete(
        f"/api/v1/organiser/invitations/{created.json['invitation']['id']}",
        headers=lead.bearer,
    )
    unknown_event = client.post(
        "/api/v1/organiser/invitations",
        json={"email": "api@example.org", "events": ["nope"]},
        headers=lead.bearer,
    )

    assert created.status_code == 201
    assert created.json["invitation"]["events"] == [event.slug]
    assert created.json["invitation"]["language"] == "uk"
    assert [i["email"] for i in listed.json] == ["api@example.org"]
    assert not_theirs.status_code == 404
    assert withdrawn.status_code == 204
    assert client.get("/api/v1/organiser/invitations", headers=lead.bearer).json == []
    assert unknown_event.status_code == 422 and "events" in unknown_event.json["errors"]


def test_an_admin_deactivates_an_account_and_its_sessions_and_tokens_stop_at_once(
    app, client, db_session, make, accounts
):
    event = make.event()
    admin = accounts(admin=True)
    target = accounts(event)
    their_browser = app.test_client()
    log_in(their_browser, target)
    dashboard = f"/api/v1/events/{event.slug}/dashboard"
    assert client.get(dashboard, headers=target.bearer).status_code == 200
    log_in(client, admin)

    deactivated = post_form(client, f"/organiser/accounts/{target.organiser.id}", active="false")

    assert deactivated.status_code == 303
    assert client.get(dashboard, headers=target.bearer).status_code == 401
    assert their_browser.get("/organiser/").status_code == 302
    assert log_in(app.test_client(), target).status_code == 401
    reactivated = client.patch(
        f"/api/v1/organisers/{target.organiser.id}", json={"active": True}, headers=admin.bearer
    )
    assert reactivated.status_code == 200 and reactivated.json["active"] is True
    assert client.get(dashboard, headers=target.bearer).status_code == 200
    # The session opened before the deactivation stays closed: it must log in again.
    assert their_browser.get("/organiser/").status_code == 302
    assert changes_recorded(db_session)[-2:] == ["account.deactivated", "account.reactivated"]


def test_an_admin_makes_an_administrator_and_sees_every_account(client, db_session, make, accounts):
    admin = accounts(admin=True)
    other = accounts(make.event())
    log_in(client, admin)

    made = post_form(client, f"/organiser/accounts/{other.organiser.id}", is_admin="true")
    listing = client.get("/api/v1/organisers", headers=admin.bearer).json

    assert made.status_code == 303
    assert {row["email"]: row["is_admin"] for row in listing}[other.organiser.email] is True
    assert other.organiser.email in client.get("/organiser/accounts").text
    assert len(audit_of(db_session, "account.made_admin")) == 1


def test_accounts_are_for_admins_only_and_nobody_changes_their_own(
    client, db_session, make, accounts
):
    organiser = accounts(make.event())
    admin = accounts(admin=True)
    log_in(client, organiser)

    assert client.get("/organiser/accounts").status_code == 403
    assert client.get("/api/v1/organisers", headers=organiser.bearer).status_code == 403
    own = client.patch(
        f"/api/v1/organisers/{admin.organiser.id}", json={"active": False}, headers=admin.bearer
    )
    assert own.status_code == 422
    with client.session_transaction() as cookie:
        assert cookie[SESSION_KEY] == organiser.organiser.id
        assert cookie[SESSION_VERSION_KEY] == 0


def test_the_login_form_and_token_of_the_session_are_renewed_at_login(client, make, accounts):
    account = accounts(make.event())
    before = csrf_token(client)
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else"

    log_in(client, account, password=PASSWORD)

    with client.session_transaction() as cookie:
        assert "planted" not in cookie
        assert cookie[SESSION_KEY] == account.organiser.id
    assert csrf_token(client) != before


def test_a_link_to_an_address_that_has_an_account_meanwhile_never_signs_it_in(
    app, client, db_session, make, accounts
):
    first, second = make.event(), make.event()
    log_in(client, accounts(first, second))
    post_form(client, "/organiser/invitations", email="twice@example.org", events=[first.slug])
    link = invitation_link(app, only_invitation(db_session, "twice@example.org"))
    existing = accounts(second, email="twice@example.org")
    browser = app.test_client()

    page = browser.get(link)
    accepted = browser.post(link, data={"csrf_token": csrf_token(browser)})

    assert page.status_code == 200 and 'name="password"' not in page.text
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == "/organiser/login"
    assert browser.get("/organiser/").status_code == 302  # the link signed nobody in
    db_session.expire_all()
    assert {e.id for e in existing.organiser.events} == {first.id, second.id}


def accept(app: Flask, link: str):
    """Open an account through the invitation's link, as the invited person would."""
    newcomer = app.test_client()
    form = newcomer.get(link)
    data = {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    return form, newcomer.post(link, data={**data, "csrf_token": csrf_token(newcomer)})


def test_an_invitation_opens_nothing_once_its_sender_lost_the_rights_it_gave(
    app, client, db_session, make, accounts
):
    kept, lost = make.event(), make.event()
    gone, moved_on = accounts(kept), accounts(lost)
    for sender, event, email in ((gone, kept, "a@example.org"), (moved_on, lost, "b@example.org")):
        response = client.post(
            "/api/v1/organiser/invitations",
            json={"email": email, "events": [event.slug]},
            headers=sender.bearer,
        )
        assert response.status_code == 201
    # Their rights go by a way that withdraws nothing: acceptance itself must check them.
    gone.organiser.deactivated_at = utcnow()
    moved_on.organiser.events.remove(lost)
    db_session.commit()

    for email in ("a@example.org", "b@example.org"):
        form, accepted = accept(app, invitation_link(app, only_invitation(db_session, email)))
        assert form.status_code == 410 and "n'organise plus ces événements" in form.text
        assert accepted.status_code == 410
    emails = set(db_session.scalars(select(Organiser.email)))
    assert not {"a@example.org", "b@example.org"} & emails


def test_deactivation_and_removal_from_a_team_withdraw_the_invitations_sent(
    app, client, db_session, make, accounts
):
    first, second = make.event(), make.event()
    sender = accounts(first, second)
    colleague = accounts(first)
    admin = accounts(admin=True)
    deactivated = accounts(second)
    for who, email, events in (
        (sender, "first@example.org", [first.slug]),
        (sender, "second@example.org", [second.slug]),
        (deactivated, "third@example.org", [second.slug]),
    ):
        client.post(
            "/api/v1/organiser/invitations",
            json={"email": email, "events": events},
            headers=who.bearer,
        )

    removed = client.delete(
        f"/api/v1/events/{first.slug}/organisers/{sender.organiser.id}", headers=colleague.bearer
    )
    changed = client.patch(
        f"/api/v1/organisers/{deactivated.organiser.id}",
        json={"active": False},
        headers=admin.bearer,
    )

    assert removed.status_code == 204 and changed.status_code == 200
    pending = client.get("/api/v1/organiser/invitations", headers=admin.bearer).json
    assert [i["email"] for i in pending] == ["second@example.org"]
    assert len(audit_of(db_session, "invitation.withdrawn")) == 2
    link = invitation_link(app, only_invitation(db_session, "first@example.org"))
    assert app.test_client().get(link).status_code == 410
