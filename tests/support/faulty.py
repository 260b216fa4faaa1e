"""The fault tests' database: the test database as the bot sees it, with a switch to take it
away and bring it back, on SQLite and on PostgreSQL (used by tests/faults and the contract suite,
tests/bot/contract, whose conftest.py files import the fixtures from here).

- PostgreSQL: the bot connects through `tests/fakes/tcp_proxy.py`; `go_away()` closes every
  connection and refuses new ones (the server is down), `come_back()` listens again.
- SQLite: an embedded file cannot "go down"; what happens to it in real life is that another
  process holds its write lock (a backup, a long `apbot purge`, a second instance someone
  started by mistake). `go_away()` takes an exclusive lock from another connection, so the
  bot's turns fail with SQLite's real "database is locked"; `come_back()` lets it go. The bot's
  engine is the product's, with one change: it waits 0.1 s for the lock instead of 30 s.

The test's own checks read through `db` (the direct, unbroken connection).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.teams.routes import TEAMS
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.clock import FixedClock
from storage.db import create_engine, normalise_url, session_factory
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.tcp_proxy import TcpProxy
from tests.support.database import Database
from tests.support.slack import SlackWorkspace, slack_api, slack_settings
from tests.support.teams import connector

# The fakes' fixtures, for a conftest.py to import with these.
__all__ = [
    "connector",
    "faulty",
    "slack_api",
    "slack_on_faulty",
    "slack_workspace",
    "teams_client",
    "teams_on_faulty",
]

LOCK_WAIT_MS = 100


@dataclass
class FaultyDatabase:
    """The bot's view of the test database, which the test can take away (see above)."""

    db: Database
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    proxy: TcpProxy | None = None
    _lock: sqlite3.Connection | None = field(default=None, repr=False)

    @property
    def backend(self) -> str:
        return self.db.backend

    @property
    def for_bot(self) -> Database:
        """This view as a `Database`, for helpers that take one (e.g. `JsonChat`)."""
        return Database(self.db.url, self.engine, self.sessions, self.db.backend)

    async def go_away(self) -> None:
        """From now on the bot cannot use the database."""
        if self.proxy is not None:
            self.proxy.cut()
            return
        path = make_url(self.db.url).database
        assert path
        self._lock = sqlite3.connect(path, isolation_level=None)
        self._lock.execute("BEGIN EXCLUSIVE")

    async def come_back(self) -> None:
        """The database is there again (the bot is not restarted)."""
        if self.proxy is not None:
            await self.proxy.restore()
            return
        assert self._lock is not None
        self._lock.execute("ROLLBACK")
        self._lock.close()
        self._lock = None


def _short_lock_wait(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _wait_briefly(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Runs after the product's own connect hook (which sets 30 s).
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
        cursor.close()


@pytest.fixture
async def faulty(db: Database) -> AsyncIterator[FaultyDatabase]:
    """The test database through a switch the test controls (see the module docstring)."""
    if db.backend == "sqlite":
        engine = create_engine(db.url)
        _short_lock_wait(engine)
        database = FaultyDatabase(db, engine, session_factory(engine))
        try:
            yield database
        finally:
            if database._lock is not None:
                await database.come_back()
            await engine.dispose()
        return
    url = make_url(normalise_url(db.url))
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        engine = create_engine(proxied)
        try:
            yield FaultyDatabase(db, engine, session_factory(engine), proxy=proxy)
        finally:
            await engine.dispose()


@pytest.fixture
async def slack_on_faulty(
    faulty: FaultyDatabase, clock: FixedClock, slack_api: FakeSlackApi
) -> AsyncIterator[SlackWorkspace]:
    """Our app with Slack on, its database behind the switch; Slack's waits are not slept."""
    settings = slack_settings(faulty.db, slack_api)
    runtime = Runtime(
        settings=settings, engine=faulty.engine, sessions=faulty.sessions, clock=clock
    )
    async with TestClient(TestServer(build_app(runtime))) as client:
        workspace = SlackWorkspace(client=client, api=slack_api)

        async def no_sleep(seconds: float) -> None:
            return None

        workspace.slack.rate_limits.sleep = no_sleep
        yield workspace
        await workspace.slack.work.drain()


@dataclass
class Waits:
    """The pauses a retry policy asked for (recorded, and the clock moved on, not slept)."""

    clock: FixedClock
    seconds: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.clock.advance(dt.timedelta(seconds=seconds))


@pytest.fixture
async def teams_client(
    db: Database, clock: FixedClock
) -> AsyncIterator[tuple[TestClient[Any, Any], Waits]]:
    """The bot's whole web app with Teams on (no app id, loopback), as `apbot serve` builds it;
    the connector retry policy's waits move the clock instead of sleeping."""
    runtime = Runtime(
        Settings(_env_file=None, database_url=db.url, host="127.0.0.1", teams_local_trial=True),  # type: ignore[call-arg]
        db.engine,
        db.sessions,
        clock,
    )
    app = build_app(runtime)
    waits = Waits(clock)
    app[TEAMS].adapter.sleep = waits
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client, waits
        await app[TEAMS].adapter.work.drain()


@pytest.fixture
async def slack_workspace(
    db: Database, clock: FixedClock, slack_api: FakeSlackApi
) -> AsyncIterator[SlackWorkspace]:
    """Our app with Slack on, on the test database as the product configures it."""
    runtime = Runtime(slack_settings(db, slack_api), db.engine, db.sessions, clock)
    async with TestClient(TestServer(build_app(runtime))) as client:
        workspace = SlackWorkspace(client=client, api=slack_api)
        yield workspace
        slack_api.release_all()
        await workspace.slack.work.drain()


@pytest.fixture
async def teams_on_faulty(
    faulty: FaultyDatabase, clock: FixedClock
) -> AsyncIterator[TestClient[Any, Any]]:
    """Our app with Teams on (no app id, loopback), its database behind the switch."""
    runtime = Runtime(
        Settings(
            _env_file=None, database_url=faulty.db.url, host="127.0.0.1", teams_local_trial=True
        ),  # type: ignore[call-arg]
        faulty.engine,
        faulty.sessions,
        clock,
    )
    app = build_app(runtime)
    app[TEAMS].adapter.sleep = Waits(clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client
        await app[TEAMS].adapter.work.drain()
