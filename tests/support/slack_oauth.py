"""Slack in many workspaces, for tests: our app in OAuth mode (SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET set, no bot token) with the fake Slack Web API, and a workspace installed
the way a school's Slack admin installs it: `GET /slack/install` (a state and its cookie), the
"Allow" page (the fake's `grant`), then Slack's redirect back to `/slack/oauth_redirect` with
the code and the state.

    async with oauth_slack(db, clock) as bot:
        school = await bot.install("TSCHOOL", name="Oakfield")
        await school.command("UTEACHER", "help")       # signed, from TSCHOOL
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.server import build_app
from storage.clock import FixedClock
from tests.fakes.slack_api import FakeSlackApi
from tests.support.database import Database
from tests.support.slack import SIGNING_SECRET, SlackWorkspace

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"
STATE_COOKIE = "slack-app-oauth-state"


@dataclass
class Installing:
    """What `GET /slack/install` gave the installer's browser: where it was sent, the state."""

    status: int
    location: str
    state: str
    # The state cookie set on the installer's browser (sent back with Slack's redirect).
    cookie: str


@dataclass
class OAuthSlack:
    """Our app serving many Slack workspaces, and the fake Slack they live in."""

    client: TestClient[Any, Any]
    api: FakeSlackApi

    async def start_install(self) -> Installing:
        """`GET /slack/install`: the browser is sent to Slack's authorize page with a state."""
        response = await self.client.get("/slack/install", allow_redirects=False)
        await response.read()
        location = response.headers.get("Location", "")
        state = parse_qs(urlparse(location).query).get("state", [""])[0]
        cookie = response.cookies.get(STATE_COOKIE)
        return Installing(response.status, location, state, cookie.value if cookie else "")

    async def finish_install(
        self, *, code: str, state: str, cookie: str | None = None
    ) -> tuple[int, str]:
        """Slack's redirect back to us (`/slack/oauth_redirect?code=..&state=..`), from the
        browser holding the state cookie (`cookie`; the state itself unless given). The cookie
        is sent by hand: it is a Secure one, and the test server is plain http."""
        response = await self.client.get(
            "/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": f"{STATE_COOKIE}={state if cookie is None else cookie}"},
            allow_redirects=False,
        )
        return response.status, await response.text()

    async def install(self, team_id: str, *, name: str = "") -> SlackWorkspace:
        """A workspace's admin adds the app: install, allow, come back; its requests then."""
        if team_id not in self.api.workspaces:
            self.api.add_workspace(team_id, name=name)
        started = await self.start_install()
        assert started.status == 302 and started.state, started
        assert started.cookie == started.state
        status, page = await self.finish_install(
            code=self.api.grant(team_id), state=started.state, cookie=started.cookie
        )
        assert status == 200, page
        return self.workspace(team_id)

    def workspace(self, team_id: str) -> SlackWorkspace:
        """Signed requests from `team_id` (installed or not) into our app."""
        return SlackWorkspace(client=self.client, api=self.api, team_id=team_id)


def oauth_settings(db: Database, api: FakeSlackApi) -> Any:
    from bot.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=api.api_url,
    )


@asynccontextmanager
async def oauth_slack(db: Database, clock: FixedClock) -> AsyncIterator[OAuthSlack]:
    """Our app in OAuth mode on the test database; waits Slack asks for are not slept."""
    async with FakeSlackApi() as api:
        runtime = Runtime(
            settings=oauth_settings(db, api), engine=db.engine, sessions=db.sessions, clock=clock
        )
        async with TestClient(TestServer(build_app(runtime))) as client:
            bot = OAuthSlack(client=client, api=api)

            async def no_sleep(seconds: float) -> None:
                return None

            bot.workspace("T0").slack.rate_limits.sleep = no_sleep
            yield bot
            await bot.workspace("T0").slack.work.drain()
