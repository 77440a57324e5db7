"""Apply the Alembic migrations: ``python -m shared.migrate`` brings the database up to date."""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from shared.config import RUN_DIR, load_config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Compose starts migrate once PostgreSQL is healthy; where that condition is not honoured
# (podman-compose on podman before 4.6, a plain `docker run`), migrate waits here instead.
DATABASE_WAIT_S = 60.0


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration pointing at this package's migrations and ``database_url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def wait_for_database(database_url: str, timeout_s: float = DATABASE_WAIT_S) -> None:
    """Return once the database accepts a connection; after ``timeout_s``, raise its refusal."""
    engine = create_engine(database_url, poolclass=NullPool)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                with engine.connect():
                    return
            except OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(1)
    finally:
        engine.dispose()


def upgrade_database(database_url: str) -> None:
    """Bring the database at ``database_url`` to the newest revision."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")


if __name__ == "__main__":
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    url = load_config()["DATABASE_URL"]
    wait_for_database(url)
    upgrade_database(url)
