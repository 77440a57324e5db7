"""Faults over the whole stack during continuous registration: Redis restarted, the worker
killed, PostgreSQL restarted, the SMTP server down for a while. Each time, every committed
registration gets its email exactly once and no request fails with a server error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stack import (
    FaultFigures,
    Stack,
    kill_worker,
    restart_postgres,
    restart_redis,
    smtp_outage,
    whole_stack,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack for the module; each test registers for an event of its own."""
    with whole_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def assert_nothing_lost(figures: FaultFigures) -> None:
    """Registrations committed = confirmations delivered, once each; no server error."""
    assert figures.committed > 0, figures.line()
    assert figures.errors == [], figures.line()
    assert figures.delivered == figures.committed, figures.line()
    assert (figures.lost, figures.duplicated, figures.strays) == (0, 0, 0), figures.line()


def test_redis_restarted_mid_traffic_loses_no_confirmation(stack):
    figures = stack.run("redis-restart", restart_redis, before=8, outage=8, after=8)

    assert_nothing_lost(figures)
    assert figures.refused == 0


def test_worker_killed_mid_delivery_loses_and_repeats_no_confirmation(stack):
    figures = stack.run("worker-kill", kill_worker, before=8, outage=8, after=8)

    assert_nothing_lost(figures)
    assert figures.refused == 0


def test_postgres_restarted_mid_traffic_refuses_with_503_and_loses_nothing_committed(stack):
    figures = stack.run("postgres-restart", restart_postgres, before=8, outage=1, after=8)

    assert_nothing_lost(figures)
    assert figures.refused >= 1


def test_smtp_server_down_for_a_while_delays_confirmations_without_losing_them(stack):
    figures = stack.run("smtp-outage", smtp_outage, before=8, outage=8, after=8)

    assert_nothing_lost(figures)
    assert figures.refused == 0
