"""A date typed by mistake is deleted while nobody may have been told of it; once someone
registered or was emailed since it was added, it can only be called off."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import SessionDate
from tests.organiser.conftest import changes_recorded, log_in, post_form

ENGLISH = {"Accept-Language": "en"}


def add(client, account, group):
    return client.post(
        f"/api/v1/events/{group.event.slug}/groups/{group.slug}/dates",
        json={"start": "2030-06-04T09:30", "end": "2030-06-04T16:00"},
        headers=account.bearer,
    ).json["id"]


def test_a_date_nobody_was_told_of_is_deleted(client, accounts, make, db_session):
    group = make.group()
    account = accounts(group.event)
    db_session.commit()
    date_id = add(client, account, group)

    deleted = client.delete(
        f"/api/v1/events/{group.event.slug}/dates/{date_id}", headers=account.bearer
    )

    assert deleted.status_code == 204
    assert db_session.get(SessionDate, date_id) is None
    assert changes_recorded(db_session)[-1] == "date.deleted"


def test_a_date_participants_were_told_of_must_be_called_off(client, accounts, make, db_session):
    group = make.group()
    make.registration(group)
    account = accounts(group.event)
    db_session.commit()
    date_id = add(client, account, group)

    refused = client.delete(
        f"/api/v1/events/{group.event.slug}/dates/{date_id}",
        headers={**account.bearer, **ENGLISH},
    )

    assert refused.status_code == 409
    assert refused.json["code"] == "date_announced"
    assert "call it off instead" in refused.json["message"]
    db_session.expire_all()
    assert db_session.get(SessionDate, date_id) is not None


def test_a_date_someone_registered_after_is_kept(client, accounts, make, db_session):
    group = make.group()
    account = accounts(group.event)
    db_session.commit()
    date_id = add(client, account, group)
    make.registration(group)
    db_session.commit()

    refused = client.delete(
        f"/api/v1/events/{group.event.slug}/dates/{date_id}", headers=account.bearer
    )

    assert refused.status_code == 409


def test_the_date_page_deletes_a_mistaken_date(client, accounts, make, db_session):
    group = make.group()
    account = accounts(group.event)
    db_session.commit()
    date_id = add(client, account, group)
    log_in(client, account)

    deleted = post_form(client, f"/organiser/events/{group.event.slug}/dates/{date_id}/delete")

    assert deleted.status_code == 303
    assert db_session.scalar(select(SessionDate.id).where(SessionDate.id == date_id)) is None
