"""The bot's web app with Teams set up two ways: registered with an app id (single tenant, as
docs/teams-setup.md has it) and as a local trial (no app id, this machine only). Used by the
security tests (tests/security/conftest.py makes fixtures of them)."""

from __future__ import annotations

import socket
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.channels.teams.adapter import TeamsAdapter
from bot.channels.teams.routes import TEAMS
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.clock import FixedClock
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database

APP_ID = "6f1b7c2e-8a55-4a3d-9a0c-2b1d3e4f5a6b"
TENANT_ID = "tenant-1"


def app_id_settings(db: Database, **more: Any) -> Settings:
    """A single-tenant bot registration, as docs/teams-setup.md has it (`more` overrides)."""
    given: dict[str, Any] = {
        "database_url": db.url,
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": "secret",
        "MicrosoftAppTenantId": TENANT_ID,
        **more,
    }
    return Settings(_env_file=None, **given)  # type: ignore[call-arg]


def registered(
    db: Database, clock: FixedClock, connector: FakeBotConnector, **more: Any
) -> TestClient[Any, Any]:
    """The whole web app with an app id (`app_id_settings(db, **more)`), its tokens checked
    against the fake connector's signing keys (start it with `async with`)."""
    settings = app_id_settings(db, **more)
    app = build_app(Runtime(settings, db.engine, db.sessions, clock))
    channel = app[TEAMS]
    channel.adapter = TeamsAdapter(settings, channel, openid_metadata_url=connector.openid_url)
    return TestClient(TestServer(app, host="127.0.0.1"))


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
