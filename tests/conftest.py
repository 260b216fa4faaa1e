"""Shared fixtures: a migrated database on SQLite and (when TEST_POSTGRES_URL is set) on
PostgreSQL, an injected clock, and a demo school to talk to."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import crypto, invariants
from storage.clock import FixedClock
from storage.db import admin_execute, create_engine, session_factory
from storage.migrate import grant_app_role, upgrade
from storage.models import Base
from tests.support.database import (
    BACKENDS,
    POSTGRES_APP_ROLE,
    POSTGRES_OWNER_ROLE,
    POSTGRES_URL,
    TEST_KEY,
    TEST_NOW,
    Database,
    ensure_role,
    postgres_url,
)

crypto.configure([TEST_KEY])
# Whether a test's call phase failed (so its database is not checked again at teardown).
CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


async def check_invariants(request: pytest.FixtureRequest, database: Database) -> None:
    """After a test that passed, the enforced invariants (`storage.invariants.ENFORCED`) must
    hold on what it left in its database. A test that writes broken records on purpose says so
    with `@pytest.mark.breaks_invariants`."""
    if request.node.stash.get(CALL_FAILED, True):
        return
    if request.node.get_closest_marker("breaks_invariants"):
        return
    # The test's clock as it left it (the fixture may already be torn down; its value stays).
    clock = getattr(request.node, "funcargs", {}).get("clock")
    now = clock.now() if isinstance(clock, FixedClock) else TEST_NOW
    async with database.sessions() as session:
        found = await invariants.check_all(session, now, only=invariants.ENFORCED)
    if found:
        pytest.fail(
            "The records this test left break an invariant (storage/invariants.py):\n"
            + "\n".join(f"  {v}" for v in found),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_owner_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, owned and migrated by the owner role, its
    grants made to the app role; dropped at the end. The URL connects as the owner."""
    assert POSTGRES_URL, "TEST_POSTGRES_URL is not set"
    name = f"apsg_test_{uuid.uuid4().hex[:10]}"
    for role in (POSTGRES_OWNER_ROLE, POSTGRES_APP_ROLE):
        asyncio.run(ensure_role(role))
    asyncio.run(
        admin_execute(POSTGRES_URL, f'CREATE DATABASE "{name}" OWNER {POSTGRES_OWNER_ROLE}')
    )
    url = postgres_url(name, POSTGRES_OWNER_ROLE)
    try:
        upgrade(url)
        asyncio.run(grant_app_role(url, POSTGRES_APP_ROLE))
        yield url
    finally:
        asyncio.run(admin_execute(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_database(postgres_owner_database: str) -> str:
    """The run's PostgreSQL database as the bot sees it: connected as the restricted app role."""
    database = make_url(postgres_owner_database).database
    assert database
    return postgres_url(database, POSTGRES_APP_ROLE)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a migrated, empty database (resolved outside the event loop: Alembic runs
    its own)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
async def db(db_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """A migrated, empty database: SQLite always, PostgreSQL too when TEST_POSTGRES_URL is set.
    At teardown, the enforced invariants are checked on what the test left (`check_invariants`)."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgres"
    engine = create_engine(db_url)
    try:
        database = Database(
            url=db_url, engine=engine, sessions=session_factory(engine), backend=backend
        )
        yield database
        await check_invariants(request, database)
    finally:
        await engine.dispose()
        if backend == "postgres":
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            database = make_url(db_url).database
            assert database
            engine = create_engine(postgres_url(database))  # the superuser: triggers off
            async with engine.begin() as connection:
                # The audit log's append-only triggers refuse TRUNCATE; a test's scratch data
                # is cleared with triggers off for this transaction only.
                await connection.execute(text("SET LOCAL session_replication_role = replica"))
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await engine.dispose()


@pytest.fixture(autouse=True)
def test_key() -> Iterator[None]:
    """Every test starts and ends with the test key (a CLI run configures its own)."""
    crypto.configure([TEST_KEY])
    yield
    crypto.configure([TEST_KEY])


@pytest.fixture
def clock() -> FixedClock:
    """Friday 27/11/2026 10:00 London time, moved only by the test."""
    return FixedClock(TEST_NOW)
