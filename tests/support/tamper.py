"""What the audit-log attack tests share: an attacker's connection, and the test database
opened from a test that runs its own event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine, session_factory
from storage.models import Base
from tests.support.database import Database, postgres_url


@asynccontextmanager
async def tamper(db: Database) -> AsyncIterator[AsyncConnection]:
    """A connection with the append-only triggers out of the way, as an attacker would have it:
    on SQLite anyone who can write the file drops them; on PostgreSQL the tables' owner disables
    them (here the superuser, who can do all the owner can)."""
    if db.backend == "sqlite":
        engine = create_engine(db.url)
        async with engine.begin() as connection:
            for trigger in ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_replace"):
                await connection.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
            yield connection
    else:
        engine = create_engine(postgres_url(make_url(db.url).database or ""))
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            yield connection
            await connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    await engine.dispose()


@asynccontextmanager
async def database(url: str) -> AsyncIterator[Database]:
    """The test's database, opened inside an event loop of the test's own making."""
    engine = create_engine(url)
    backend = "sqlite" if url.startswith("sqlite") else "postgres"
    try:
        yield Database(url, engine, session_factory(engine), backend)
    finally:
        await engine.dispose()


async def clear(url: str) -> None:
    """What the `db` fixture does after a test, for a test that runs without it."""
    if url.startswith("sqlite"):
        return
    async with database(url) as db, tamper(db) as connection:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
