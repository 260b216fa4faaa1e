"""What a running bot holds: settings, the database engine and its sessions, the clock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings, get_settings
from storage import crypto
from storage.clock import Clock, SystemClock
from storage.db import (
    DATABASE_UNREACHABLE,
    create_engine,
    normalise_url,
    session_factory,
    sqlite_file,
)
from storage.services.encryption import check_key, holds_encrypted_data

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The shared pieces every channel and command needs. Passed around, never global."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)


def encryption_keys(settings: Settings) -> list[str]:
    """The configured keys; for the embedded SQLite default, a key file beside the database
    (made the first time; see `configure_keys` for when it may not be)."""
    if settings.encryption_keys is not None:
        return [
            k.strip() for k in settings.encryption_keys.get_secret_value().split(",") if k.strip()
        ]
    database = sqlite_file(normalise_url(settings.database_url))
    if database is not None:
        return [crypto.local_key(database.parent)]
    raise crypto.EncryptionNotConfigured(
        "Set ENCRYPTION_KEYS (make one with `apbot rotate-key --new-key`): pupils' names and "
        "safeguarding notes are encrypted in the database."
    )


async def configure_keys(settings: Settings, engine: AsyncEngine, clock: Clock) -> None:
    """Set the process's keys and make sure they open what the database holds. A key file
    that has gone while encrypted data remains is never replaced by a new key (every turn
    would then fail): the bot stops and says what to do."""
    database = sqlite_file(normalise_url(settings.database_url))
    if settings.encryption_keys is None and database is not None:
        path = crypto.key_file(database.parent)
        if not path.exists():
            async with engine.connect() as connection:
                if await holds_encrypted_data(connection):
                    raise crypto.KeyDoesNotOpen(
                        f"The encryption key file {path} is missing, but the database "
                        f"{database} holds encrypted pupils' names and safeguarding notes. "
                        "Put the key file back (from your backup) and start again; without it "
                        "they cannot be read. The bot will not make a new key over them."
                    )
    crypto.configure(encryption_keys(settings))
    try:
        async with engine.connect() as connection:
            has_check = await connection.run_sync(
                lambda sync: inspect(sync).has_table("key_canary")
            )
        if has_check:  # not before `apbot migrate` has made the tables
            async with session_factory(engine)() as session, session.begin():
                await check_key(session, at=clock.now())
    except DATABASE_UNREACHABLE as error:  # /healthz checks the key once the database is back
        log.warning(
            "could not check the encryption key: database unreachable (%s)", type(error).__name__
        )


@asynccontextmanager
async def open_runtime(
    settings: Settings | None = None, *, clock: Clock | None = None
) -> AsyncIterator[Runtime]:
    """Connect to the configured database for the length of the block."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    try:
        await configure_keys(settings, engine, clock)
        yield Runtime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            clock=clock,
        )
    finally:
        await engine.dispose()
