"""Throwaway databases: a fresh PostgreSQL database on a server, or a SQLite file; and
listening to SQLAlchemy's events for a while."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, make_url, text

from shared.migrate import upgrade_database


@contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """Create a migrated database on the server ``server_url`` names; drop it afterwards."""
    name = f"atelier_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def throwaway_database(folder: Path, server_url: str | None = None) -> Iterator[str]:
    """A migrated database: PostgreSQL when ``server_url`` names a server, else SQLite."""
    if server_url and server_url.startswith("postgresql"):
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
