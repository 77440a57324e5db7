"""The organiser pages of messages: the form previews before anything is written, refuses
bad input on its field, sends and shows the follow-up; a failed copy is retried from the
follow-up or from the event's delivery log (the worker, owner of the log, queues it again);
only the event's organisers see any of it."""

from __future__ import annotations

from sqlalchemy import func, select

from shared.models import AuditEntry, DeliveryStatus, OrganiserMessage
from shared.queue import RETRY_FAILED_TASK
from tests.organiser.conftest import log_in, post_form


def form(**fields):
    values = {
        "statuses": ["confirmed", "waitlisted"],
        "send": "now",
        "subject_fr": "Salle {group}",
        "body_fr": "Bonjour {first_name},\n\nAu 2e étage.",
        "subject_en": "Room {group}",
        "body_en": "Hello {first_name},\n\nSecond floor.",
    }
    values.update(fields)
    return values


def test_the_form_previews_then_sends_and_shows_the_follow_up(client, make, accounts, db_session):
    group = make.group()
    make.registration(group, first_name="Awa")
    make.registration(group, first_name="Sam", language="en")
    account = accounts(group.event)
    log_in(client, account)
    url = f"/organiser/events/{group.event.slug}/messages/new"

    preview = post_form(client, url, action="preview", **form())
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Destinataires : 2" in page
    assert f"Salle {group.name}" in page and "Bonjour Awa," in page
    assert f"Room {group.name}" in page and "Hello Sam," in page
    assert db_session.scalar(select(func.count()).select_from(OrganiserMessage)) == 0

    sent = post_form(client, url, action="send", **form())
    assert sent.status_code == 303
    follow_up = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "envoi : 0 sur 2" in follow_up
    journal = client.get(f"/organiser/events/{group.event.slug}/log").get_data(as_text=True)
    assert "Message envoyé aux participants" in journal
    assert "Statut : confirmed, waitlisted" in journal


def test_bad_input_comes_back_on_its_field(client, make, accounts, db_session):
    group = make.group()
    make.registration(group)
    account = accounts(group.event)
    log_in(client, account)

    answer = post_form(
        client,
        f"/organiser/events/{group.event.slug}/messages/new",
        action="send",
        **form(body_en="Hello {prenom}"),
    )

    assert answer.status_code == 422
    assert "Champ inconnu : {prenom}." in answer.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(OrganiserMessage)) == 0


def test_a_failed_copy_is_retried_by_the_worker(client, make, accounts, db_session, app):
    group = make.group()
    person = make.registration(group)
    elsewhere = make.registration(make.group())
    failed = make.email_message(person)
    foreign = make.email_message(elsewhere)
    sent = make.email_message(person, status=DeliveryStatus.SENT)
    account = accounts(group.event)
    handed: list = []
    app.extensions["handover"].send = handed.extend
    log_in(client, account)
    deliveries = f"/organiser/events/{group.event.slug}/deliveries"

    page = client.get(deliveries).get_data(as_text=True)
    for copy in (failed, foreign, sent):
        post_form(client, f"{deliveries}/{copy.id}/retry")

    assert person.email in page and elsewhere.email not in page
    assert handed == [(RETRY_FAILED_TASK, [[failed.id]], "mail")]
    assert db_session.scalar(select(func.count()).where(AuditEntry.action == "email.retried")) == 1


def test_only_the_events_organisers_see_its_messages(client, make, accounts):
    group = make.group()
    log_in(client, accounts(make.event()))

    for path in ("messages", "messages/new", "deliveries"):
        assert client.get(f"/organiser/events/{group.event.slug}/{path}").status_code == 403
