"""GET /api/v1/messages and POST /api/v1/messages/<id>/retry: the organisers' delivery log."""

from __future__ import annotations

import base64
import json

import pytest

from services.notifications import operations
from shared.models import DeliveryStatus, EmailMessage, Event, OutboxMessage, Registration

pytestmark = pytest.mark.usefixtures("quiet_outbox")


@pytest.fixture
def logged(app, db_session, make):
    """Two events, each with one confirmation in the delivery log; the first one failed."""
    messages = []
    for slug in ("atelier-jambes", "seance-info"):
        make.registration(make.group(make.event(slug=slug)), email=f"awa@{slug}.example.org")
        outbox = db_session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
        with app.app_context():
            [message_id] = operations.create_messages(db_session, [outbox.id])
        messages.append(db_session.get(EmailMessage, message_id))
    messages[0].status = DeliveryStatus.FAILED
    messages[0].attempts = 9
    messages[0].last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
    db_session.commit()
    return messages


def bearer(token):
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz"],
)
def test_delivery_log_needs_an_organiser_token(client, authorization):
    headers = {"Accept-Language": "en"} | (
        {"Authorization": authorization} if authorization else {}
    )

    response = client.get("/api/v1/messages", headers=headers)

    assert response.status_code == 401
    assert response.json == {
        "code": "unauthenticated",
        "status": 401,
        "message": "Authentication required.",
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(client, organiser_token):
    token = organiser_token(admin=True, revoked=True)

    assert client.get("/api/v1/messages", headers=bearer(token)).status_code == 401


def test_admin_sees_every_message_with_its_delivery_details(client, organiser_token, logged):
    response = client.get("/api/v1/messages", headers=bearer(organiser_token(admin=True)))

    assert response.status_code == 200
    assert [m["id"] for m in response.json] == [logged[1].id, logged[0].id]
    failed = response.json[1]
    assert failed["kind"] == "confirmed"
    assert failed["recipient"] == "awa@atelier-jambes.example.org"
    assert failed["language"] == "fr"
    assert failed["status"] == "failed"
    assert failed["attempts"] == 9
    assert failed["last_error"].startswith("ConnectionRefusedError")
    assert failed["created_at"].endswith("+00:00")
    assert json.loads(response.headers["X-Pagination"]) == {"next": None}
    assert "Link" not in response.headers


def test_organiser_sees_only_the_messages_of_their_events(
    client, organiser_token, logged, db_session
):
    token = organiser_token(db_session.get(Event, logged[1].event_id))

    response = client.get("/api/v1/messages", headers=bearer(token))

    assert [m["id"] for m in response.json] == [logged[1].id]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", [0]),
        ("status=queued", [1]),
        ("event=seance-info", [1]),
        ("event=nope", []),
        ("recipient=AWA@atelier-jambes.example.org", [0]),
    ],
)
def test_delivery_log_filters(client, organiser_token, logged, query, expected):
    response = client.get(f"/api/v1/messages?{query}", headers=bearer(organiser_token(admin=True)))

    assert [m["id"] for m in response.json] == [logged[i].id for i in expected]


def test_unknown_status_filter_is_a_422_with_the_field_named(client, organiser_token):
    response = client.get(
        "/api/v1/messages?status=lost", headers=bearer(organiser_token(admin=True))
    )

    assert response.status_code == 422
    assert set(response.json["errors"]) == {"status"}


def test_the_log_pages_by_cursor_newest_first(client, organiser_token, logged, make, db_session):
    registration = db_session.get(Registration, logged[0].registration_id)
    later = [make.email_message(registration) for _ in range(3)]
    headers = bearer(organiser_token(admin=True))

    first = client.get("/api/v1/messages?limit=2&status=failed", headers=headers)
    link = first.headers["Link"]
    second = client.get(link[1 : link.index(">")], headers=headers)

    assert [m["id"] for m in first.json] == [later[2].id, later[1].id]
    assert [m["id"] for m in second.json] == [later[0].id, logged[0].id]
    assert "status=failed" in link and "Link" not in second.headers


def test_a_cursor_beyond_any_row_is_refused_not_a_database_overflow(client, organiser_token):
    cursor = base64.urlsafe_b64encode(f"[{2**70}]".encode()).decode()
    headers = {**bearer(organiser_token(admin=True)), "Accept-Language": "en"}
    response = client.get(f"/api/v1/messages?cursor={cursor}", headers=headers)

    assert response.status_code == 422
    assert response.json["errors"] == {
        "cursor": ["This cursor is not valid: follow the previous page's link again."]
    }


def test_retry_of_a_message_id_beyond_any_row_is_not_found(client, organiser_token):
    response = client.post(
        f"/api/v1/messages/{2**63}/retry", headers=bearer(organiser_token(admin=True))
    )

    assert response.status_code == 404


def test_retry_queues_a_failed_message_again(client, organiser_token, logged, db_session):
    token = organiser_token(admin=True)

    response = client.post(f"/api/v1/messages/{logged[0].id}/retry", headers=bearer(token))

    assert response.status_code == 202
    assert response.json["status"] == "queued"
    db_session.refresh(logged[0])
    assert logged[0].status is DeliveryStatus.QUEUED


def test_only_a_failed_message_can_be_retried(client, organiser_token, logged, db_session):
    token = organiser_token(admin=True)

    response = client.post(f"/api/v1/messages/{logged[1].id}/retry", headers=bearer(token))

    assert response.status_code == 409
    assert response.json["code"] == "not_failed"
    assert response.json["message"] == "Only a failed message can be sent again."
    db_session.refresh(logged[1])
    assert logged[1].status is DeliveryStatus.QUEUED


def test_retry_of_another_events_message_is_not_found(client, organiser_token, logged, db_session):
    token = organiser_token()

    response = client.post(f"/api/v1/messages/{logged[0].id}/retry", headers=bearer(token))

    assert response.status_code == 404
    db_session.refresh(logged[0])
    assert logged[0].status is DeliveryStatus.FAILED
