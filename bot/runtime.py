"""What a running bot holds: settings, the database engine and its sessions, the clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings, get_settings
from storage import crypto
from storage.clock import Clock, SystemClock
from storage.db import create_engine, normalise_url, session_factory


@dataclass
class Runtime:
    """The shared pieces every channel and command needs. Passed around, never global."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)


def encryption_keys(settings: Settings) -> list[str]:
    """The configured keys; for the embedded SQLite default, a key file beside the database."""
    if settings.encryption_keys is not None:
        return [
            k.strip() for k in settings.encryption_keys.get_secret_value().split(",") if k.strip()
        ]
    url = make_url(normalise_url(settings.database_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return [crypto.local_key(Path(os.path.abspath(url.database or "")).parent)]
    raise crypto.EncryptionNotConfigured(
        "Set ENCRYPTION_KEYS (make one with `apbot rotate-key --new-key`): pupils' names and "
        "safeguarding notes are encrypted in the database."
    )


@asynccontextmanager
async def open_runtime(
    settings: Settings | None = None, *, clock: Clock | None = None
) -> AsyncIterator[Runtime]:
    """Connect to the configured database for the length of the block."""
    settings = settings or get_settings()
    crypto.configure(encryption_keys(settings))
    engine = create_engine(settings.database_url)
    try:
        yield Runtime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            clock=clock or SystemClock(),
        )
    finally:
        await engine.dispose()
