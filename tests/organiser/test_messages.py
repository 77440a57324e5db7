"""Messages organisers write to their participants, through the API: an audience, a subject
and body per language with placeholders, a preview first, sent now, at a moment or at an
offset from a group's dates that follows them; listed, edited and withdrawn until they leave;
journalled once, limited per organiser, refused on the field of any bad input with nothing
written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.database import utcnow
from shared.domain import organiser_messages
from shared.domain.privacy import anonymise, anonymise_expired
from shared.domain.registrations import cancel
from shared.domain.schedule import cancel_group, change_date_time
from shared.i18n import BRUSSELS
from shared.models import (
    Attendance,
    AuditEntry,
    EmailKind,
    MessageRecipient,
    MessageState,
    OrganiserMessage,
    OutboxMessage,
    RegistrationStatus,
)
from tests.organiser.conftest import held_group, registered_before
from tests.support.databases import data_statements


def body(**overrides: Any) -> dict[str, Any]:
    """A message to the whole event, sent now, in French and English."""
    values: dict[str, Any] = {
        "subject": {"fr": "Salle {group}", "en": "Room {group}"},
        "body": {
            "fr": "Bonjour {first_name},\n\nLa salle change : {venue}.\n\nProchaine date : "
            "{next_date}.\n\nVotre inscription : {manage_link}",
            "en": "Hello {first_name},\n\nThe room changes: {venue}.\n\nYour agenda: {feed_link}",
        },
    }
    values.update(overrides)
    return values


def messages_url(event: Any, suffix: str = "") -> str:
    return f"/api/v1/events/{event.slug}/messages{suffix}"


def stored_messages(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(OrganiserMessage))


def outbox_of(db_session, message_id: int) -> list[int]:
    rows = db_session.execute(
        select(OutboxMessage.registration_id, OutboxMessage.payload).where(
            OutboxMessage.kind == EmailKind.ORGANISER_MESSAGE
        )
    ).all()
    return sorted(r for r, payload in rows if payload["organiser_message_id"] == message_id)


def token_of(app, registration, kind: str = "manage") -> str:
    """A registration's link token, derived under the app's secret key."""
    with app.app_context():
        return getattr(registration, f"{kind}_token")


@pytest.fixture
def people(make):
    """A group of three: Awa (French, confirmed), Olena (Ukrainian, confirmed), Sam (English,
    waiting); and a second group with one confirmed participant."""
    group = make.group(capacity=2)
    awa = make.registration(group, first_name="Awa", language="fr")
    olena = make.registration(group, first_name="Olena", language="uk")
    sam = make.registration(group, first_name="Sam", language="en")
    other = make.group(group.event)
    lina = make.registration(other, first_name="Lina", language="ar")
    return group, other, awa, olena, sam, lina


def test_the_preview_counts_each_language_and_shows_one_reader_of_each(
    app, client, accounts, db_session, people
):
    group, _other, awa, _olena, sam, _lina = people
    account = accounts(group.event)

    answer = client.post(
        messages_url(group.event, "/preview"),
        json=body(groups=[group.slug]),
        headers=account.bearer,
    )

    assert answer.status_code == 200, answer.json
    # Olena reads Ukrainian, which the message is not written in: French.
    assert answer.json["total"] == 3
    assert answer.json["counts"] == {"fr": 2, "en": 1}
    french, english = answer.json["examples"]["fr"], answer.json["examples"]["en"]
    assert french["first_name"] == "Awa"
    assert french["subject"] == f"Salle {group.name}"
    assert "Bonjour Awa," in french["body"] and "DICS, avenue Gouverneur Bovesse" in french["body"]
    assert f"/manage/{token_of(app, awa)}" in french["body"]
    assert english["first_name"] == "Sam"
    assert f"/feeds/personal/{token_of(app, sam, 'calendar')}.ics" in english["body"]
    assert stored_messages(db_session) == 0


def test_a_message_sent_now_queues_one_email_per_recipient_and_one_journal_entry(
    client, accounts, db_session, people
):
    group, _other, awa, olena, sam, lina = people
    account = accounts(group.event)

    answer = client.post(
        messages_url(group.event),
        json=body(statuses=["confirmed"]),
        headers=account.bearer,
    )

    assert answer.status_code == 201, answer.json
    assert answer.json["state"] == "sending"
    assert answer.json["recipients"] == 3
    message_id = answer.json["id"]
    assert outbox_of(db_session, message_id) == sorted([awa.id, olena.id, lina.id])
    entries = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "message.sent")
    ).all()
    assert len(entries) == 1
    assert entries[0].details["recipients"] == 3
    assert entries[0].details["statuses"] == ["confirmed"]
    assert entries[0].details["groups"] == []
    assert sam.id not in outbox_of(db_session, message_id)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": {"fr": "x" * 201}, "body": {"fr": "Bonjour"}}, "subject"),
        ({"subject": {"fr": "Salut"}, "body": {"fr": "x" * 20_001}}, "body"),
        ({"subject": {"fr": "Salle\x07"}, "body": {"fr": "Bonjour"}}, "subject"),
        ({"subject": {"fr": "Salut"}, "body": {"fr": "Bonjour {prenom}"}}, "body"),
        ({"subject": {"en": "Hello"}, "body": {"en": "Hello"}}, "subject"),
        ({"send": "at", "send_at": "2020-01-01T10:00:00+01:00"}, "send_at"),
        ({"send": "at", "send_at": "2099-01-01T10:00:00+01:00"}, "send_at"),
        ({"send": "offset", "offset_anchor": "first", "offset_days": 1}, "offset_time"),
        ({"groups": ["elsewhere"]}, "groups"),
        ({"statuses": ["cancelled"]}, "statuses"),
        ({"subject": "Salut"}, "subject"),
        ({"subject": {"fr": ["Salut"]}}, "subject"),
        ({"groups": "tous"}, "groups"),
        ({"present_on": 0}, "present_on"),
        ({"absent_from": 999_999}, "absent_from"),
        ({"send": "at", "send_at": "demain"}, "send_at"),
        ({"send": "offset", "offset_days": 10**12}, "offset_days"),
        ({"send": "offset", "offset_time": "25:00"}, "offset_time"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(
    client, accounts, db_session, people, overrides, field
):
    group = people[0]
    account = accounts(group.event)
    before = db_session.scalar(select(func.count()).select_from(OutboxMessage))

    answer = client.post(messages_url(group.event), json=body(**overrides), headers=account.bearer)

    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]
    assert stored_messages(db_session) == 0
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_an_unknown_placeholder_is_named(client, accounts, people):
    group = people[0]
    account = accounts(group.event)

    answer = client.post(
        messages_url(group.event),
        json=body(body={"fr": "Bonjour {prenom} et {first_name}"}, subject={"fr": "Salut"}),
        headers={**account.bearer, "Accept-Language": "en"},
    )

    assert answer.status_code == 422
    assert answer.json["errors"]["body"] == ["Unknown placeholder: {prenom}."]


def test_another_events_group_is_refused(client, accounts, make, people):
    group = people[0]
    elsewhere = make.group()
    account = accounts(group.event, elsewhere.event)

    answer = client.post(
        messages_url(group.event), json=body(groups=[elsewhere.slug]), headers=account.bearer
    )

    assert answer.status_code == 422
    assert list(answer.json["errors"]) == ["groups"]


def test_an_empty_audience_is_refused(client, accounts, people):
    group = people[0]
    account = accounts(group.event)

    answer = client.post(
        messages_url(group.event, "/preview"), json=body(source="by_hand"), headers=account.bearer
    )

    assert answer.status_code == 422
    assert answer.json["code"] == "empty_audience"


def test_only_the_events_organisers_write_to_its_participants(client, accounts, make, people):
    group = people[0]
    stranger = accounts(make.event())

    answer = client.post(messages_url(group.event), json=body(), headers=stranger.bearer)

    assert answer.status_code == 403


def test_the_audience_filters_presence_and_source(app, client, accounts, db_session, make):
    group = held_group(make, days_ago=(3, -5))
    came, stayed_home = registered_before(make, group), registered_before(make, group)
    db_session.add(Attendance(registration=came, session_date=group.dates[0], present=True))
    db_session.commit()
    account = accounts(group.event)
    first_date = group.dates[0].id

    present = client.post(
        messages_url(group.event, "/preview"),
        json=body(present_on=first_date),
        headers=account.bearer,
    )
    absent = client.post(
        messages_url(group.event, "/preview"),
        json=body(absent_from=first_date),
        headers=account.bearer,
    )
    online = client.post(
        messages_url(group.event, "/preview"), json=body(source="online"), headers=account.bearer
    )

    assert present.json["examples"]["fr"]["first_name"] == came.first_name
    assert present.json["total"] == 1
    assert absent.json["total"] == 1
    assert absent.json["examples"]["fr"]["body"].count(token_of(app, stayed_home)) == 1
    assert online.json["total"] == 2


def test_the_rate_limit_per_organiser_answers_429(client, accounts, app, people):
    group = people[0]
    account = accounts(group.event)
    app.config["RATE_LIMIT_ORGANISER_MESSAGES"] = "2/hour"

    answers = [
        client.post(messages_url(group.event), json=body(), headers=account.bearer)
        for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json["code"] == "too_many_messages"
    assert int(answers[2].headers["Retry-After"]) > 0


def scheduled(client, account, event, **overrides: Any) -> dict[str, Any]:
    answer = client.post(messages_url(event), json=body(**overrides), headers=account.bearer)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_scheduled_message_is_listed_edited_and_withdrawn_until_it_leaves(
    client, accounts, db_session, people
):
    group = people[0]
    account = accounts(group.event)
    later = (utcnow() + timedelta(days=2)).isoformat()
    message = scheduled(client, account, group.event, send="at", send_at=later)
    assert message["state"] == "scheduled"
    assert outbox_of(db_session, message["id"]) == []

    edited = client.put(
        messages_url(group.event, f"/{message['id']}"),
        json=body(subject={"fr": "Nouvelle salle", "en": "New room"}, send="at", send_at=later),
        headers=account.bearer,
    )
    listed = client.get(messages_url(group.event), headers=account.bearer)
    withdrawn = client.post(
        messages_url(group.event, f"/{message['id']}/withdraw"), headers=account.bearer
    )
    again = client.post(
        messages_url(group.event, f"/{message['id']}/withdraw"), headers=account.bearer
    )

    assert edited.status_code == 200, edited.json
    assert edited.json["texts"]["fr"]["subject"] == "Nouvelle salle"
    assert [m["id"] for m in listed.json] == [message["id"]]
    assert withdrawn.json["state"] == "withdrawn"
    assert again.status_code == 409
    organiser_messages.release_due(db_session, utcnow() + timedelta(days=3))
    assert outbox_of(db_session, message["id"]) == []


def test_a_scheduled_message_leaves_once_at_its_moment(client, accounts, db_session, people):
    group, _other, awa, olena, sam, lina = people
    account = accounts(group.event)
    moment = utcnow() + timedelta(hours=1)
    message = scheduled(client, account, group.event, send="at", send_at=moment.isoformat())
    cancel(db_session, olena)  # cancelled before the message left: not a recipient

    assert organiser_messages.release_due(db_session, moment - timedelta(minutes=1)) == []
    assert organiser_messages.release_due(db_session, moment) == [message["id"]]
    assert organiser_messages.release_due(db_session, moment + timedelta(hours=1)) == []

    assert outbox_of(db_session, message["id"]) == sorted([awa.id, sam.id, lina.id])


def test_a_message_at_an_offset_follows_its_groups_dates(app, client, accounts, db_session, people):
    group, _other, awa, olena, sam, _lina = people
    account = accounts(group.event)
    message = scheduled(
        client,
        account,
        group.event,
        groups=[group.slug],
        send="offset",
        offset_anchor="first",
        offset_days=-2,
        offset_time="18:00",
    )
    first = group.dates[0]
    planned = organiser_messages.send_time(
        db_session, db_session.get(OrganiserMessage, message["id"])
    )
    local = planned.astimezone(BRUSSELS)
    assert (local.date(), local.strftime("%H:%M")) == (
        first.starts_at.astimezone(BRUSSELS).date() - timedelta(days=2),
        "18:00",
    )

    # The first date moves three days later: the message with it.
    with app.app_context():
        change_date_time(
            db_session,
            first,
            first.starts_at + timedelta(days=3),
            first.ends_at + timedelta(days=3),
        )
        db_session.flush()
    assert organiser_messages.release_due(db_session, planned) == []
    moved = planned + timedelta(days=3)
    assert organiser_messages.release_due(db_session, moved) == [message["id"]]
    assert outbox_of(db_session, message["id"]) == sorted([awa.id, olena.id, sam.id])


def test_a_called_off_group_sends_nothing(app, client, accounts, db_session, people):
    group = people[0]
    account = accounts(group.event)
    at_offset = scheduled(
        client,
        account,
        group.event,
        groups=[group.slug],
        send="offset",
        offset_anchor="last",
        offset_days=1,
        offset_time="09:00",
    )
    at_time = scheduled(
        client,
        account,
        group.event,
        groups=[group.slug],
        send="at",
        send_at=(utcnow() + timedelta(hours=2)).isoformat(),
    )

    with app.app_context():
        cancel_group(db_session, group)
        db_session.flush()
    organiser_messages.release_due(db_session, utcnow() + timedelta(days=365))

    for message_id in (at_offset["id"], at_time["id"]):
        assert db_session.get(OrganiserMessage, message_id).state is MessageState.CALLED_OFF
        assert outbox_of(db_session, message_id) == []


def test_the_participants_manage_page_lists_the_messages_they_were_sent(
    app, client, accounts, db_session, people
):
    group, _other, awa, _olena, sam, _lina = people
    account = accounts(group.event)
    scheduled(client, account, group.event, subject={"fr": "Salle {group}", "en": "Room {group}"})

    french = client.get(f"/manage/{token_of(app, awa)}").get_data(as_text=True)
    english = client.get(f"/manage/{token_of(app, sam)}?lang=en").get_data(as_text=True)

    assert f"Salle {group.name}" in french
    assert f"Room {group.name}" in english


def test_the_texts_are_anonymised_with_the_registrations_they_were_sent_for(
    client, accounts, db_session, make
):
    group = held_group(make, days_ago=(20, 10))
    person = registered_before(make, group)
    account = accounts(group.event)
    message_id = scheduled(client, account, group.event)["id"]

    anonymise_expired(db_session, months=12, now=utcnow() + timedelta(days=200))
    assert db_session.get(OrganiserMessage, message_id).texts["fr"]
    anonymise_expired(db_session, months=12, now=utcnow() + timedelta(days=400))

    db_session.expire_all()
    message = db_session.get(OrganiserMessage, message_id)
    assert message.texts == {} and message.anonymised_at is not None
    assert db_session.get(MessageRecipient, (message_id, person.id)) is not None


def test_an_erased_person_is_never_a_recipient(client, accounts, db_session, people):
    group, _other, awa, olena, sam, lina = people
    anonymise(olena)
    db_session.commit()
    account = accounts(group.event)

    message_id = scheduled(client, account, group.event)["id"]

    assert outbox_of(db_session, message_id) == sorted([awa.id, sam.id, lina.id])
    assert olena.status is RegistrationStatus.CONFIRMED


def test_listing_messages_costs_the_same_statements_for_one_or_many(app, client, accounts, people):
    group = people[0]
    account = accounts(group.event)
    app.config["RATE_LIMIT_ORGANISER_MESSAGES"] = "100/hour"
    statements: list[int] = []

    def listing_cost() -> int:
        answer, executed = data_statements(
            app.extensions["database"].engine,
            lambda: client.get(messages_url(group.event), headers=account.bearer),
        )
        assert answer.status_code == 200
        return len(executed)

    scheduled(client, account, group.event)
    statements.append(listing_cost())
    for _ in range(4):
        scheduled(client, account, group.event)
    statements.append(listing_cost())

    assert len(client.get(messages_url(group.event), headers=account.bearer).json) == 5
    assert statements[0] == statements[1]
