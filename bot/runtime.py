"""What a running bot holds: settings, the database engine and its sessions, the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings, get_settings
from storage.clock import Clock, SystemClock
from storage.db import create_engine, session_factory


@dataclass
class Runtime:
    """The shared pieces every channel and command needs. Passed around, never global."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)


@asynccontextmanager
async def open_runtime(
    settings: Settings | None = None, *, clock: Clock | None = None
) -> AsyncIterator[Runtime]:
    """Connect to the configured database for the length of the block."""
    settings = settings or get_settings()
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
