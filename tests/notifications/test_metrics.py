"""The notifications service's /metrics reports deliveries and the outbox queue."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from shared.domain.registrations import Participant, register
from shared.models import Role


def figures(response) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_report_failed_emails_and_the_waiting_outbox(app, client, make, db_session):
    failed = make.registration()
    make.email_message(failed)
    group = make.group()
    participant = Participant("Ana", "Lima", "ana@example.org", Role.OTHER, "fr")
    register(db_session, group.event, group, participant, commit_all_dates=True)
    db_session.commit()  # its confirmation waits in the outbox: no worker runs here

    measured = figures(client.get("/metrics"))

    assert measured[("atelier_emails", (("status", "failed"),))] == 1
    assert measured[("atelier_outbox_pending", ())] >= 1
    assert measured[("atelier_outbox_oldest_pending_age_seconds", ())] >= 0
