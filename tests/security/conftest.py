"""The bot as an attacker meets it: Teams with an app id (tokens checked against the fake
connector's signing keys), and Teams as a local trial (no app id, this machine only); the app
set-ups are in tests/support/teams_apps.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.channels.teams.routes import TEAMS
from storage.clock import FixedClock
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.teams import connector
from tests.support.teams_apps import local_trial, registered

__all__ = ["client", "connector", "registered_bot"]


@pytest.fixture
async def registered_bot(
    db: Database, clock: FixedClock, connector: FakeBotConnector
) -> AsyncIterator[TestClient[Any, Any]]:
    """The whole web app with an app id; tokens are checked against the fake's signing keys
    (for the rest of the test run: botbuilder keeps keys per process)."""
    async with registered(db, clock, connector) as client:
        yield client
        await client.app[TEAMS].adapter.work.drain()


@pytest.fixture
async def client(db: Database, clock: FixedClock) -> AsyncIterator[TestClient[Any, Any]]:
    """The web app as `make run` serves it: Teams as a local trial."""
    async with await local_trial(db, clock) as test_client:
        yield test_client
        await test_client.app[TEAMS].adapter.work.drain()
