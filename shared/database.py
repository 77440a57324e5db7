"""The one relational database: engine set-up, one session per app context, UTC datetimes."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, TypeVar

from flask import Flask, current_app, g
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import (
    ARRAY,
    JSON,
    Column,
    ColumnElement,
    DateTime,
    Engine,
    Enum,
    MetaData,
    Result,
    create_engine,
    event,
    exc,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from shared.errors import Busy
from shared.sockets import is_quiet

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Primary keys are 32-bit integers on every database the services run on.
MAX_ROW_ID = 2**31 - 1
# Seconds a client is asked to wait before trying again when a lock could not be had in time.
RETRY_AFTER_S = "2"
_TRANSACTION_LISTS = "transaction_lists"
Outcome = Callable[[list[Any]], None]


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; SQLite keeps no offset, so it is restored here."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """The value as the database stores it: UTC, without an offset on SQLite."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """The stored value as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(kind: type[enum.Enum], name: str) -> Enum:
    """A portable enum column storing the members' values as strings (no native type)."""
    return Enum(kind, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e])


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def is_lock_timeout(error: exc.DBAPIError) -> bool:
    """Whether a database error means a lock could not be had in time (a retryable state)."""
    message = str(error.orig).lower()
    return (
        "lock timeout" in message
        or "database is locked" in message
        # lock_not_available, and deadlock_detected: either way, trying again will do
        or getattr(error.orig, "sqlstate", None) in ("55P03", "40P01")
    )


@contextmanager
def busy_when_locked() -> Iterator[None]:
    """Answer 503 with Retry-After, not 500, when a lock taken inside could not be had in
    time: the request may simply be tried again."""
    try:
        yield
    except exc.DBAPIError as error:
        if is_lock_timeout(error):
            raise Busy(headers={"Retry-After": RETRY_AFTER_S}) from error
        raise


def create_db_engine(
    url: str, *, lock_timeout_ms: int = 5000, synchronous_commit: bool = True
) -> Engine:
    """Create an engine; on SQLite every transaction takes the write lock up front.

    SQLite has no row locks: beginning with BEGIN IMMEDIATE serialises writers, so a
    count-then-insert can never race, and a writer that waits longer than the busy timeout
    fails cleanly instead of on a stale snapshot. Without ``synchronous_commit``, PostgreSQL
    confirms a commit before its record reaches the disk: a crash of the server (not a
    restart) may then forget the last fraction of a second of commits.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": lock_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Every statement waits a bounded time for a lock, then fails as retryable.
    options = f"-c lock_timeout={int(lock_timeout_ms)}"
    if not synchronous_commit:
        options += " -c synchronous_commit=off"
    engine = create_engine(url, pool_size=5, max_overflow=10, connect_args={"options": options})

    @event.listens_for(engine, "connect")
    def _send_arrays_in_binary(dbapi_connection: Any, _record: Any) -> None:
        # In text the driver writes and quotes an array's elements one by one in Python: for
        # a door's 200 moments, a millisecond and a half, against a tenth in binary.
        dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)

    @event.listens_for(engine, "checkout")
    def _replace_closed_connections(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # A pooled connection the server closed (a restart, a terminated backend) has said so
        # on its socket: checking there costs no round trip, unlike a ping before every use.
        # One closed connection means the others likely are too: the pool renews them all.
        if dbapi_connection.closed or not is_quiet(dbapi_connection.fileno()):
            raise exc.InvalidatePoolError("the server closed the connection")

    return engine


@dataclass
class _Binding:
    engine: Engine
    session_factory: sessionmaker[Session]


class Database:
    """Gives each Flask app its engine and each app context one session."""

    def init_app(self, app: Flask) -> None:
        """Create the app's engine and close the context's session at teardown."""
        engine = create_db_engine(
            app.config["DATABASE_URL"],
            lock_timeout_ms=app.config["DATABASE_LOCK_TIMEOUT_MS"],
            synchronous_commit=app.config.get("DATABASE_SYNCHRONOUS_COMMIT", True),
        )
        app.extensions["database"] = _Binding(engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(self._close_session)

    @property
    def binding(self) -> _Binding:
        """The current app's engine and session factory."""
        return current_app.extensions["database"]

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return self.binding.engine

    @property
    def session(self) -> Session:
        """The session of the current app context, opened on first use."""
        if "db_session" not in g:
            g.db_session = self.binding.session_factory()
        return g.db_session

    @staticmethod
    def finish_request(succeeded: bool) -> None:
        """Commit the request's changes if it succeeded, else roll them back: the one commit
        of every request, made after its view returned (see ``shared.app.ServiceFlask``)."""
        session = g.get("db_session")
        # An API view's changes are committed before its answer is made: the app's own call
        # then finds nothing begun, and committing nothing would still take a connection.
        if session is None or not session.in_transaction():
            return
        if succeeded:
            session.commit()
        else:
            session.rollback()

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            # Rolled back by name, not only by closing: what waits for the transaction's end
            # (see transaction_list) hears of it. A connection the server has dropped cannot
            # roll back; closing discards it all the same.
            with suppress(exc.DBAPIError):
                session.rollback()
            session.close()


db = Database()


def transaction_list(
    session: Session,
    key: str,
    *,
    committed: Outcome | None = None,
    rolled_back: Outcome | None = None,
) -> list[Any]:
    """A list that lives as long as the session's transaction, one per ``key``: once the
    transaction commits, ``committed`` receives what was appended to it; if it rolls back,
    ``rolled_back`` does."""
    lists = session.info.setdefault(_TRANSACTION_LISTS, {})
    if key not in lists:
        lists[key] = ([], committed, rolled_back)
    items: list[Any] = lists[key][0]
    return items


Row = TypeVar("Row")


def add_once(session: Session, row: Row, winner: Callable[[], Row | None]) -> Row:
    """Insert ``row`` whose unique key another transaction may be inserting at the same
    moment; if that one committed first, return its row, read by ``winner``, instead."""
    try:
        with session.begin_nested():
            session.add(row)
    except exc.IntegrityError:
        found = winner()
        assert found is not None  # the row that made the insert fail
        return found
    return row


def insert_missing(
    session: Session,
    model: type[Base],
    columns: dict[str, list[Any]],
    key: tuple[str, ...],
    *,
    shared: dict[str, Any] | None = None,
) -> set[tuple[Any, ...]]:
    """Insert, in one statement, those of the rows (given as in :func:`insert_all`) whose
    unique ``key`` no row holds, also when another transaction is inserting the same at the
    same moment; the keys of the rows left out."""
    shared = shared or {}
    count = len(next(iter(columns.values())))
    if not count:
        return set()
    result = _insert_many(session, model, columns, shared, missing_by=key)
    if result.rowcount == count:
        return set()  # every row went in: which keys did need not be read
    inserted = {tuple(row) for row in result}
    values = (columns[c] if c in columns else repeat(shared[c], count) for c in key)
    return set(zip(*values, strict=True)) - inserted


def insert_all(
    session: Session,
    model: type[Base],
    columns: dict[str, list[Any]],
    *,
    shared: dict[str, Any] | None = None,
) -> None:
    """Insert rows given column by column, past the unit of work and in one statement:
    ``columns`` holds a list of values per column, one for each row, ``shared`` the values
    every row has."""
    if any(columns.values()):  # an INSERT of no rows would still cost a round trip
        _insert_many(session, model, columns, shared or {})


def _insert_many(
    session: Session,
    model: type[Base],
    columns: dict[str, list[Any]],
    shared: dict[str, Any],
    missing_by: tuple[str, ...] = (),
) -> Result[Any]:
    """One INSERT of many rows; with ``missing_by``, only those no row holds yet under that
    unique key, returning the keys inserted. On PostgreSQL each column goes as one array
    (``unnest``) and each shared value once: a statement with a placeholder per value costs
    the driver more than the writes themselves."""
    table = model.__table__
    names = [*columns, *shared]
    if session.get_bind().dialect.name == "postgresql":
        source = select(
            *(_each_row(table.c[name], values).label(name) for name, values in columns.items()),
            *(literal(value, table.c[name].type).label(name) for name, value in shared.items()),
        )
        statement = postgresql.insert(table).from_select(names, source)
        parameters: list[dict[str, Any]] | None = None
    else:
        statement = sqlite.insert(table)
        rows = zip(*columns.values(), strict=True)
        parameters = [dict(shared, **dict(zip(columns, row, strict=True))) for row in rows]
    if missing_by:
        statement = statement.on_conflict_do_nothing(index_elements=list(missing_by)).returning(
            *(table.c[c] for c in missing_by)
        )
    return session.execute(statement, parameters)


def _each_row(column: Column[Any], values: list[Any]) -> ColumnElement[Any]:
    """A column's values as a set, a row each: those of a JSON column as one JSON array,
    since the driver would quote every document of an array one by one."""
    if isinstance(column.type, JSON):
        return func.json_array_elements(literal(values, column.type))
    return func.unnest(literal(values, ARRAY(column.type)))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for items, committed, _rolled_back in session.info.pop(_TRANSACTION_LISTS, {}).values():
        if committed and items:
            committed(items)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    for items, _committed, rolled_back in session.info.pop(_TRANSACTION_LISTS, {}).values():
        if rolled_back and items:
            rolled_back(items)
