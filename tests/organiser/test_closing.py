"""Closing a group after its last date: those who completed it are sent their certificate,
those present at least once an invitation to evaluate it, once; before the last date is over
the group cannot be closed."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from shared.domain import certificates
from shared.models import Attendance, Certificate, EmailKind, Group
from tests.organiser.conftest import (
    audit_actions,
    held_group,
    log_in,
    outbox_kinds,
    post_form,
    registered_before,
)


def group_with_presence(make, db_session, **fields):
    """A held group: the first two participants came on both days, the third only once."""
    group = held_group(make, **fields)
    people = [registered_before(make, group) for _ in range(3)]
    for person, second_day in zip(people, (True, True, False), strict=True):
        for day, mark in zip(group.dates, (True, second_day), strict=True):
            db_session.add(Attendance(registration=person, session_date=day, present=mark))
    db_session.commit()
    return group, people


def close_url(group):
    return f"/api/v1/events/{group.event.slug}/groups/{group.slug}/close"


def test_closing_sends_a_certificate_to_each_who_completed_once(client, make, accounts, db_session):
    group, people = group_with_presence(make, db_session)
    account = accounts(group.event)
    before = len(outbox_kinds(db_session))

    closed = client.post(close_url(group), headers=account.bearer)
    again = client.post(close_url(group), headers=account.bearer)

    assert closed.status_code == again.status_code == 200
    assert closed.json["closed_at"] and again.json["closed_at"] == closed.json["closed_at"]
    assert outbox_kinds(db_session)[before:] == [
        (EmailKind.CERTIFICATE, people[0].id),
        (EmailKind.CERTIFICATE, people[1].id),
        (EmailKind.EVALUATION, people[0].id),
        (EmailKind.EVALUATION, people[1].id),
        (EmailKind.EVALUATION, people[2].id),
    ]
    certified = db_session.scalars(select(Certificate.registration_id).order_by(Certificate.id))
    assert list(certified) == [people[0].id, people[1].id]
    assert [a for a in audit_actions(db_session) if a[0] == "group.closed"] == [
        ("group.closed", account.organiser.id, None)
    ]


def test_a_group_whose_last_date_is_not_over_cannot_be_closed(client, make, accounts, db_session):
    group = held_group(make, days_ago=(1, -6))  # its second date is next week
    registered_before(make, group)
    before = len(outbox_kinds(db_session))

    response = client.post(close_url(group), headers=accounts(group.event).bearer)

    assert response.status_code == 409
    assert response.json["code"] == "not_over"
    db_session.expire_all()
    assert db_session.get(Group, group.id).closed_at is None
    assert len(outbox_kinds(db_session)) == before


def test_the_roster_page_closes_a_group_once_it_is_over(client, make, accounts, db_session):
    group, _people = group_with_presence(make, db_session)
    account = accounts(group.event)
    log_in(client, account)
    roster = f"/organiser/events/{group.event.slug}/groups/{group.slug}/"
    assert "Clôturer le groupe" in client.get(roster).get_data(as_text=True)

    closed = post_form(client, f"/organiser/events/{group.event.slug}/groups/{group.slug}/close")
    page = client.get(closed.headers["Location"]).get_data(as_text=True)

    assert closed.status_code == 303
    assert (
        "Groupe clôturé : les attestations et les invitations à l&#39;évaluation sont envoyées."
        in page
    )
    assert "Clôturer le groupe" not in page
    again = post_form(client, f"/organiser/events/{group.event.slug}/groups/{group.slug}/close")
    assert "Ce groupe était déjà clôturé : rien n&#39;a été envoyé à nouveau." in client.get(
        again.headers["Location"]
    ).get_data(as_text=True)
    assert [kind for kind, _id in outbox_kinds(db_session)].count(EmailKind.CERTIFICATE) == 2


def test_a_revoked_certificate_is_not_sent_again_and_the_others_are(
    client, make, accounts, db_session
):
    group, people = group_with_presence(make, db_session)
    account = accounts(group.event)
    revoked = certificates.issue(db_session, people[0])
    db_session.commit()
    client.post(
        f"/api/v1/events/{group.event.slug}/registrations/{people[0].id}/certificate/revoke",
        headers=account.bearer,
    )
    before = len(outbox_kinds(db_session))

    closed = client.post(close_url(group), headers=account.bearer)
    archive = client.get(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/certificates.zip",
        headers=account.bearer,
    )

    assert closed.status_code == archive.status_code == 200
    assert outbox_kinds(db_session)[before:][0] == (EmailKind.CERTIFICATE, people[1].id)
    assert EmailKind.CERTIFICATE not in [
        kind for kind, _id in outbox_kinds(db_session)[before:][1:]
    ]
    with zipfile.ZipFile(io.BytesIO(archive.data)) as files:
        assert files.namelist() == [f"01-{people[1].last_name}-{people[1].first_name}.pdf"]
    assert client.get(f"/api/v1/certificates/{revoked.code}").status_code == 410


def test_one_who_completes_after_the_closing_is_sent_their_certificate_then(
    client, make, accounts, db_session
):
    group, people = group_with_presence(make, db_session)
    account = accounts(group.event)
    client.post(close_url(group), headers=account.bearer)
    before = len(outbox_kinds(db_session))
    late = f"/api/v1/events/{group.event.slug}/registrations/{people[2].id}/attendance"

    marked = client.put(
        late, json={"date": group.dates[1].id, "present": True}, headers=account.bearer
    )
    again = client.put(
        late, json={"date": group.dates[1].id, "present": True}, headers=account.bearer
    )

    assert marked.status_code == again.status_code == 200
    assert outbox_kinds(db_session)[before:] == [(EmailKind.CERTIFICATE, people[2].id)]


def test_nobody_is_added_by_hand_to_a_closed_group(client, make, accounts, db_session):
    group, _people = group_with_presence(make, db_session)
    account = accounts(group.event)
    client.post(close_url(group), headers=account.bearer)

    added = client.post(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/participants",
        json={
            "first_name": "Late",
            "last_name": "Comer",
            "email": "late@example.org",
            "role": "other",
            "consent_on_paper": True,
        },
        headers={**account.bearer, "Accept-Language": "en"},
    )

    assert added.status_code == 409
    assert added.json["code"] == "registration_closed"


def test_a_closed_groups_dates_and_venue_no_longer_change(client, make, accounts, db_session):
    group, people = group_with_presence(make, db_session)
    account = accounts(group.event)
    client.post(close_url(group), headers=account.bearer)
    code = db_session.scalar(
        select(Certificate.code).where(Certificate.registration_id == people[0].id)
    )
    english = {**account.bearer, "Accept-Language": "en"}
    event_url = f"/api/v1/events/{group.event.slug}"
    dates_before = [(d.starts_at, d.ends_at, d.cancelled_at) for d in group.dates]

    changes = [
        client.post(
            f"{event_url}/groups/{group.slug}/dates",
            json={"start": "2031-01-07T09:30:00+01:00", "end": "2031-01-07T16:00:00+01:00"},
            headers=english,
        ),
        client.post(f"{event_url}/dates/{group.dates[0].id}/cancel", headers=english),
        client.post(f"{event_url}/groups/{group.slug}/cancel", headers=english),
        client.patch(f"{event_url}/groups/{group.slug}", json={"town": "Namur"}, headers=english),
    ]

    for change in changes:
        assert (change.status_code, change.json["code"]) == (409, "group_closed")
    assert changes[0].json["message"] == (
        "This group is closed: its dates and venue, which appear on the certificates, "
        "no longer change."
    )
    db_session.expire_all()
    assert [(d.starts_at, d.ends_at, d.cancelled_at) for d in group.dates] == dates_before
    assert (group.town, group.cancelled_at) == ("Jambes", None)
    assert client.get(f"/api/v1/certificates/{code}").status_code == 200
