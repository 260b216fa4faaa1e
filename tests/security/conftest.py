"""The bot as an attacker meets it: Teams with an app id (tokens checked against the fake
connector's signing keys), and Teams as a local trial (no app id, this machine only); the app
set-ups are in tests/support/teams_apps.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.teams.adapter import TeamsAdapter
from bot.channels.teams.routes import TEAMS
from bot.runtime import Runtime
from bot.server import build_app
from storage.clock import FixedClock
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.teams import connector
from tests.support.teams_apps import app_id_settings, local_trial

__all__ = ["client", "connector", "registered_bot"]


@pytest.fixture
async def registered_bot(
    db: Database, clock: FixedClock, connector: FakeBotConnector
) -> AsyncIterator[TestClient[Any, Any]]:
    """The whole web app with an app id; tokens are checked against the fake's signing keys
    (for the rest of the test run: botbuilder keeps keys per process)."""
    settings = app_id_settings(db)
    app = build_app(Runtime(settings, db.engine, db.sessions, clock))
    channel = app[TEAMS]
    channel.adapter = TeamsAdapter(settings, channel, openid_metadata_url=connector.openid_url)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client
        await channel.adapter.work.drain()


@pytest.fixture
async def client(db: Database, clock: FixedClock) -> AsyncIterator[TestClient[Any, Any]]:
    """The web app as `make run` serves it: Teams as a local trial."""
    async with await local_trial(db, clock) as test_client:
        yield test_client
        await test_client.app[TEAMS].adapter.work.drain()
