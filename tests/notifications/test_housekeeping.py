"""Beat schedules every service's housekeeping on its own queue; the jobs do their work."""

from __future__ import annotations

from datetime import timedelta

from shared.domain.privacy import ANONYMOUS
from shared.models import Registration
from shared.queue import HOUSEKEEPING_QUEUE
from tests.support.factories import local


def test_beat_runs_retention_jobs_daily_on_the_housekeeping_queue(app):
    celery = app.extensions["celery"]
    jobs = (
        "registration.anonymise_expired",
        "registration.purge_delivered_outbox",
        "notifications.purge_sent_messages",
    )

    for job in jobs:
        assert celery.conf.beat_schedule[job]["schedule"] == 24 * 3600
        assert celery.conf.task_routes[job] == {"queue": HOUSEKEEPING_QUEUE}
    assert "shared.housekeeping" in celery.conf.include


def test_anonymisation_job_erases_participants_of_groups_long_over(app, make, db_session):
    from shared.housekeeping import anonymise_expired

    start = local("2020-02-04T09:30")
    dates = [
        (start, start + timedelta(hours=6)),
        (start + timedelta(weeks=1), start + timedelta(weeks=1, hours=6)),
    ]
    old_group = make.group(make.event(registration_opens_at=None), dates=dates)
    old = make.registration(old_group, at=start - timedelta(weeks=1))
    recent = make.registration()

    with app.app_context():
        assert anonymise_expired.run() == 1

    db_session.expire_all()
    assert db_session.get(Registration, old.id).last_name == ANONYMOUS
    assert db_session.get(Registration, recent.id).last_name != ANONYMOUS
