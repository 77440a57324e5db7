"""Schemathesis against each service's OpenAPI document, with many more cases than the
test suite's run (tests/fuzz): requests sent, server errors and schema violations found.

``python -m bench.fuzz`` creates its own PostgreSQL database (production's, whose
refusals SQLite does not share, such as a NUL in any text) and starts its own Redis; the
services run in-process, as in production but without the test settings that re-raise
errors.
"""

from __future__ import annotations

import importlib
import logging

from bench.support import POSTGRES, private_redis
from services.registration import create_app
from tests.support import fuzzing
from tests.support.databases import throwaway_postgres

SERVICES = ("registration", "notifications", "calendar")
# Fresh cases each run; about a minute and a half on two busy cores.
EXAMPLES = 150
SCENARIOS = 150


def main() -> None:
    """Print one line per service."""
    logging.disable(logging.INFO)  # a line per request would drown the figures
    with private_redis() as redis, throwaway_postgres(POSTGRES) as database_url:
        try:
            config = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis.url,
                "RATE_LIMITS_ENABLED": False,
            }
            data = fuzzing.seed(create_app(dict(config)))
            for service in SERVICES:
                app = importlib.import_module(f"services.{service}").create_app(dict(config))
                tally = fuzzing.fuzz(
                    app, service, data, examples=EXAMPLES, scenarios=SCENARIOS, reproducible=False
                )
                app.extensions["database"].engine.dispose()
                print(tally.summary, flush=True)
                for failure in tally.failures:
                    print(failure, flush=True)
        finally:
            logging.disable(logging.NOTSET)


if __name__ == "__main__":
    main()
