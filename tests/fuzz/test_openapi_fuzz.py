"""Each service against its own OpenAPI document, fuzzed by schemathesis on a migrated
database with the demo events: no server error, and every response (status code, content
type, body) as documented. ``make bench`` runs the same with many more cases."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

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
