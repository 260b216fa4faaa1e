"""The bot as an attacker meets it: Teams with an app id (tokens checked against the fake
connector's signing keys), and Teams as a local trial (no app id, this machine only)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.teams.adapter import TeamsAdapter
from bot.channels.teams.routes import TEAMS
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.clock import FixedClock
from tests.conftest import Database
from tests.fakes.bot_connector import FakeBotConnector

APP_ID = "6f1b7c2e-8a55-4a3d-9a0c-2b1d3e4f5a6b"
TENANT_ID = "tenant-1"


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as fake:
        yield fake


def app_id_settings(db: Database, **more: Any) -> Settings:
    """A single-tenant bot registration, as docs/teams-setup.md has it."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="secret",  # type: ignore[arg-type]
        MicrosoftAppTenantId=TENANT_ID,
        **more,
    )


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


def local_trial_settings(db: Database, **more: Any) -> Settings:
    """`make run`'s Teams: no app id, a loopback HOST, the local trial on."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        host="127.0.0.1",
        teams_local_trial=True,
        **more,
    )


async def local_trial(
    db: Database, clock: FixedClock, *, host: str = "127.0.0.1", **more: Any
) -> TestClient[Any, Any]:
    """The web app as a local trial, its test server listening on `host` (start it with
    `async with`)."""
    app = build_app(Runtime(local_trial_settings(db, **more), db.engine, db.sessions, clock))
    return TestClient(TestServer(app, host=host))


def this_machines_other_address() -> str | None:
    """An address of this machine that is not loopback (a LAN address), if it has one."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


@pytest.fixture
async def client(db: Database, clock: FixedClock) -> AsyncIterator[TestClient[Any, Any]]:
    """The web app as `make run` serves it: Teams as a local trial."""
    async with await local_trial(db, clock) as test_client:
        yield test_client
        await test_client.app[TEAMS].adapter.work.drain()
