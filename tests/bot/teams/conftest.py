"""Fixtures for the Teams channel: the fake Bot Framework connector and the bot's web app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.teams.routes import TEAMS
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.clock import FixedClock
from tests.conftest import Database
from tests.fakes.bot_connector import FakeBotConnector


@dataclass
class Waits:
    """The pauses the retry policy asked for (recorded, not slept)."""

    seconds: list[float]

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as fake:
        yield fake


@pytest.fixture
def waits() -> Waits:
    return Waits([])


@pytest.fixture
async def client(
    db: Database, clock: FixedClock, waits: Waits
) -> AsyncIterator[TestClient[Any, Any]]:
    """The bot's whole web app (as `apbot serve` builds it), Teams as a local trial (no app id)."""
    runtime = Runtime(
        Settings(database_url=db.url, host="127.0.0.1", teams_local_trial=True),
        db.engine,
        db.sessions,
        clock,
    )
    app = build_app(runtime)
    app[TEAMS].adapter.sleep = waits
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client
