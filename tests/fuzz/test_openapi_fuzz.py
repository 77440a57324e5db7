"""Each service against its own OpenAPI document, fuzzed by schemathesis on a migrated
database with the demo events: no server error, and every response (status code, content
type, body) as documented. ``make bench`` runs the same with many more cases."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis

from tests.conftest import closing, dispose
from tests.support import fuzzing

EXAMPLES = 8
SCENARIOS = 10

pytestmark = pytest.mark.slow


@pytest.fixture
def fuzz_data(base_config: dict[str, Any], committed_database: str) -> Iterator[fuzzing.FuzzData]:
    """Demo events, an admin's token, registrations and their emails, committed (the fuzzed
    requests commit too: every table is emptied afterwards)."""
    from services.registration import create_app

    yield from map(fuzzing.seed, closing(create_app(dict(base_config))))


@pytest.mark.parametrize("service", ["registration", "notifications", "calendar"])
def test_every_response_is_documented_and_none_is_a_server_error(
    service: str, base_config: dict[str, Any], fuzz_data: fuzzing.FuzzData
) -> None:
    module = importlib.import_module(f"services.{service}")
    app = module.create_app(dict(base_config))
    try:
        tally = fuzzing.fuzz(app, service, fuzz_data, examples=EXAMPLES, scenarios=SCENARIOS)
    finally:
        dispose(app)

    assert tally.failures == [], "\n\n".join(tally.failures)
    assert tally.requests > EXAMPLES * 2


def test_register_then_read_and_cancel_by_the_returned_token_as_documented(
    base_config: dict[str, Any], fuzz_data: fuzzing.FuzzData
) -> None:
    # Random scenarios seldom name an existing group: this chain is walked on purpose.
    from services.registration import create_app

    group = fuzz_data.known[0]
    for app in closing(create_app(dict(base_config))):
        schema = schemathesis.openapi.from_wsgi(fuzzing.OPENAPI, app)
        by_token = "/api/v1/registrations/{manage_token}"
        created = (
            schema["/api/v1/events/{event_slug}/registrations"]["POST"]
            .Case(
                path_parameters={"event_slug": group["event_slug"]},
                body={
                    **fuzzing.PARTICIPANT,
                    "group": group["group_slug"],
                    "email": "chain@example.org",
                },
            )
            .call_and_validate(checks=fuzzing.CHECKS)
        )
        token = {"manage_token": created.json()["manage_token"]}
        read = schema[by_token]["GET"].Case(path_parameters=token)
        before = read.call_and_validate(checks=fuzzing.CHECKS)
        cancel = schema[f"{by_token}/cancel"]["POST"].Case(path_parameters=token)
        cancelled = cancel.call_and_validate(checks=fuzzing.CHECKS)
        after = read.call_and_validate(checks=fuzzing.CHECKS)

    assert [r.status_code for r in (created, before, cancelled, after)] == [201, 200, 200, 200]
    assert before.json()["status"] == "confirmed"
    assert after.json()["status"] == "cancelled"
    assert after.json()["cancelled_at"] is not None
