"""Throwaway databases: a fresh PostgreSQL database on a server, or a SQLite file; and
listening to SQLAlchemy's events for a while."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL

from shared.migrate import upgrade_database

# Both spellings of the scheme name PostgreSQL (libpq and most hosts write postgres://).
POSTGRES_SCHEMES = ("postgresql", "postgres")
# The driver the project installs, for a URL that names none.
POSTGRES_DRIVER = "psycopg"


def is_postgres(url: str | None) -> bool:
    """Whether ``url`` names a PostgreSQL server, in either spelling, with or without a
    driver."""
    if not url or "://" not in url:
        return False
    scheme = url.split("://", 1)[0]
    return scheme.split("+", 1)[0] in POSTGRES_SCHEMES


def sqlalchemy_postgres_url(url: str) -> URL:
    """``url`` as SQLAlchemy spells it: ``postgresql+<driver>``; SQLAlchemy refuses
    ``postgres://``, and without a driver it would load one the project does not install."""
    parsed = make_url(url)
    driver = parsed.drivername.partition("+")[2]
    return parsed.set(drivername=f"postgresql+{driver or POSTGRES_DRIVER}")


@contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """Create a migrated database on the server ``server_url`` names; drop it afterwards."""
    name = f"atelier_test_{os.getpid()}_{secrets.token_hex(4)}"
    server = sqlalchemy_postgres_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def throwaway_database(folder: Path, server_url: str | None = None) -> Iterator[str]:
    """A migrated database: PostgreSQL when ``server_url`` names a server, else SQLite."""
    if is_postgres(server_url):
        with throwaway_postgres(server_url) as url:
            yield url
        return
    url = f"sqlite:///{folder / 'atelier.sqlite3'}"
    upgrade_database(url)
    yield url


@contextmanager
def listening(target: Any, identifier: str, listener: Callable[..., Any]) -> Iterator[None]:
    """``listener`` hears SQLAlchemy's ``identifier`` events of ``target`` within the block."""
    event.listen(target, identifier, listener)
    try:
        yield
    finally:
        event.remove(target, identifier, listener)


T = TypeVar("T")
# What a request reads and writes; the tests' own savepoints are not the request's.
DATA = ("SELECT", "INSERT", "UPDATE", "DELETE")


def data_statements(engine: Any, work: Callable[[], T]) -> tuple[T, list[str]]:
    """What ``work()`` returns, and the keyword (SELECT, INSERT...) of each data statement it
    runs on ``engine``."""
    run: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(DATA):
            run.append(statement.split()[0].upper())

    with listening(engine, "before_cursor_execute", count):
        result = work()
    return result, run


# Sessions of the current PostgreSQL database waiting for another transaction to end: for a
# row it locked, or for its insert of the same key.
WAITING_ON_A_TRANSACTION = text(
    "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid)"
    " WHERE NOT granted AND locktype = 'transactionid' AND datname = current_database()"
)


def waiting_on_a_transaction(engine: Engine) -> int:
    """How many sessions of ``engine``'s PostgreSQL database wait for another transaction."""
    with engine.connect() as connection:
        return connection.scalar(WAITING_ON_A_TRANSACTION)
