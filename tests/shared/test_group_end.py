"""A group is over when its last held date has ended: closing it and forgetting its
participants both count from then, a called-off last date left out."""

from __future__ import annotations

from shared.domain.closing import can_close
from shared.domain.privacy import anonymise_expired
from tests.support.factories import local


def _dates(*days: str):
    return [(local(f"{day}T09:30"), local(f"{day}T16:00")) for day in days]


def _last_date_called_off(make):
    group = make.group(
        make.event(registration_opens_at=None), dates=_dates("2030-01-08", "2030-03-12")
    )
    registration = make.registration(group, at=local("2030-01-01T12:00"))
    group.dates[-1].cancelled_at = local("2030-01-09T12:00")
    make.session.commit()
    return group, registration


def test_retention_counts_from_the_last_held_date_not_a_called_off_one(
    registration_app, db_session, make
):
    group, registration = _last_date_called_off(make)
    now = local("2030-07-20T12:00")  # six months after 8 January, four after 12 March

    assert can_close(group, now)
    assert anonymise_expired(db_session, months=6, now=now) == [registration.id]


def test_a_group_whose_every_date_was_called_off_is_forgotten_after_its_last_date(
    registration_app, db_session, make
):
    group, registration = _last_date_called_off(make)
    group.cancelled_at = local("2030-01-02T12:00")
    db_session.commit()

    assert not can_close(group, local("2031-01-01T12:00"))
    assert anonymise_expired(db_session, months=6, now=local("2030-09-01T12:00")) == []
    assert anonymise_expired(db_session, months=6, now=local("2030-09-20T12:00")) == [
        registration.id
    ]
