"""Connecting to the database: the embedded SQLite file or PostgreSQL, through one code path."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.files import prepare_sqlite_file, seal_sqlite_files

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a database that is not there raises: the driver's errors, wrapped by SQLAlchemy (a
# dropped connection, "database is locked"), and the socket's own when no new connection can be
# made at all (asyncpg's connect raises ConnectionRefusedError or TimeoutError unwrapped).
DATABASE_UNREACHABLE: tuple[type[Exception], ...] = (DBAPIError, OSError)


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (`postgres://`, `postgresql://`, `sqlite:///`) and pick the
    async driver we ship."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The SQLite database file of `url` (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(os.path.abspath(parsed.database or ""))
    return None


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of an SQLite file so a fresh clone needs nothing by hand: the folder
    readable by the bot's user only, the file created 0600 (see `storage.files`)."""
    database = sqlite_file(url)
    if database is not None:
        prepare_sqlite_file(database)


# aiosqlite logs every statement with its parameters at DEBUG: those can name a pupil, so its
# log stays quiet whatever level the bot runs at.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


# A pooled connection unused for longer than this is checked (a round trip) before it is used
# again: the server may have been restarted, or a firewall dropped it, meanwhile. One in use
# more recently is not (SQLAlchemy's `pool_pre_ping` would ping on every checkout: a round trip
# and 9 % of a chat turn's CPU). A connection that fails anyway is noticed by SQLAlchemy, which
# then throws away every connection of the pool made before: that turn is told the database
# could not be reached, and the next one connects afresh.
IDLE_BEFORE_PING = 30.0  # seconds
# PostgreSQL connections are also replaced after an hour, whatever they did meanwhile.
RECYCLE_AFTER = 3600  # seconds


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for the URL, with foreign keys enforced on SQLite as on PostgreSQL."""
    url = normalise_url(url)
    ensure_sqlite_folder(url)
    kwargs: dict[str, object] = {"echo": echo}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_recycle"] = RECYCLE_AFTER
    engine = create_async_engine(url, **kwargs)
    if not is_sqlite(url):  # a local file cannot be dropped by a network
        _ping_after_idle(engine)
    if is_sqlite(url):
        database = sqlite_file(url)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not the driver, decide when transactions begin (see below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            if database is not None:  # the -wal and -shm exist now: owner only
                seal_sqlite_files(database)

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(connection):  # type: ignore[no-untyped-def]
            # Take SQLite's write lock at the start, so two turns on the same dialog queue up
            # (as SELECT ... FOR UPDATE does on PostgreSQL) instead of failing half-way.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it sat idle (see IDLE_BEFORE_PING)."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception:  # any failure: this connection is not to be trusted
            alive = False
        if not alive:  # the pool throws it away and takes (or makes) another
            raise exc.DisconnectionError("a pooled connection went away while idle")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: everything inside commits together or not at all."""
    async with sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def single_statement(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session for one write that needs nothing read or written with it. On PostgreSQL the
    statement commits by itself (autocommit: one round trip, not BEGIN, the statement and
    COMMIT); on SQLite it is a transaction as usual (its BEGIN and COMMIT cost no round trip).
    Never for two statements that must commit together: use `transaction`."""
    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session
        else:
            async with session.begin():
                yield session


async def retry_when_raced(attempt: Callable[[], Awaitable[T]], *, what: str, tries: int = 3) -> T:
    """Run `attempt` (one whole transaction) again when it fails the way two requests racing
    for the same rows fail on PostgreSQL (a deadlock, a duplicate key): the winner's work is
    then there for the next try to find. Used where several first messages from one person
    can arrive at once (linking their chat account)."""
    for tried in range(1, tries + 1):
        try:
            return await attempt()
        except DBAPIError as error:
            if tried == tries:
                raise
            log.info("%s raced another request (%s); trying again", what, type(error).__name__)
    raise AssertionError("unreachable")  # pragma: no cover


async def admin_execute(url: str, statement: str) -> None:
    """Run one statement outside a transaction on the PostgreSQL server at `url` (`CREATE
    DATABASE`, `DROP DATABASE`: the test suite's and the benchmarks' scratch databases)."""
    import asyncpg

    parsed = make_url(normalise_url(url))
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def insert_for(session: AsyncSession, model: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for this session's database, with its `ON CONFLICT DO NOTHING`: how a row is
    created "if absent" when two requests or bot instances may race to create it."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
