"""A Slack workspace for the security tests: our app in this process, the Slack Web API faked
locally, and requests signed as Slack signs them (see tests/support/slack.py). Settings can
be changed per test (e.g. the accepted workspace)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.server import build_app
from storage.clock import FixedClock
from tests.fakes.slack_api import FakeSlackApi
from tests.support.database import Database
from tests.support.slack import SIGNING_SECRET, SlackWorkspace, slack_settings


@asynccontextmanager
async def slack_workspace(
    db: Database, clock: FixedClock, **settings: Any
) -> AsyncIterator[SlackWorkspace]:
    """Our app with Slack on (settings changed by `settings`); waits are recorded, not slept."""
    async with FakeSlackApi() as api:
        configured = slack_settings(db, api).model_copy(update=settings)
        runtime = Runtime(settings=configured, engine=db.engine, sessions=db.sessions, clock=clock)
        async with TestClient(TestServer(build_app(runtime))) as client:
            workspace = SlackWorkspace(client=client, api=api)

            async def no_sleep(seconds: float) -> None:
                return None

            workspace.slack.rate_limits.sleep = no_sleep
            yield workspace
            await workspace.slack.work.drain()


def signed_headers(
    body: bytes, *, timestamp: str | None = None, content_type: str = "application/json"
) -> dict[str, str]:
    """Headers for `body` signed with our signing secret, as Slack signs (any timestamp text)."""
    ts = str(int(time.time())) if timestamp is None else timestamp
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


async def post_raw(workspace: SlackWorkspace, body: bytes, headers: dict[str, str]) -> int:
    """POST exactly these bytes and headers to /slack/events; the status."""
    response = await workspace.client.post("/slack/events", data=body, headers=headers)
    await response.read()
    await workspace.slack.work.drain()
    return response.status
