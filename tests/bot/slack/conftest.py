"""A Slack workspace talking to our aiohttp app, with the Slack Web API faked locally."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.clock import FixedClock
from tests.bot.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackWorkspace
from tests.conftest import Database
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    """The Slack Web API, faked by a local server that records every call."""
    async with FakeSlackApi() as api:
        yield api


def slack_settings(db: Database, api: FakeSlackApi) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        slack_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=api.api_url,
    )


@pytest.fixture
async def workspace(
    db: Database, clock: FixedClock, slack_api: FakeSlackApi
) -> AsyncIterator[SlackWorkspace]:
    """Our app on a local port with Slack on; waits Slack asks for are recorded, not slept."""
    runtime = Runtime(
        settings=slack_settings(db, slack_api), engine=db.engine, sessions=db.sessions, clock=clock
    )
    async with TestClient(TestServer(build_app(runtime))) as client:
        workspace = SlackWorkspace(client=client, api=slack_api)

        async def no_sleep(seconds: float) -> None:
            return None

        workspace.slack.rate_limits.sleep = no_sleep
        yield workspace
        await workspace.slack.work.drain()
