"""Driving the bot the way Slack does: signed requests into our aiohttp app (as bolt-python's
scenario tests do), with a local fake of the Slack Web API on the other side.

`SlackWorkspace` sends slash commands, DMs (Events API) and clicks (block actions) exactly as
Slack would: form- or JSON-encoded, signed with the signing secret (v0 HMAC-SHA256 of
`v0:{timestamp}:{body}`), and waits for the work the bot does after acknowledging. The
requests themselves are `SlackRequests`, which only says how a request is built; where it goes
is up to `post` (here the app in this process; tests/support/instances.py: real `apbot serve`
processes over HTTP).

The fixtures `slack_api` (the fake Web API) and `workspace` (our app with Slack on, on the test
database) are here too; a conftest.py that wants them imports them.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier

from bot.channels.slack import blocks
from bot.channels.slack.app import SLACK
from bot.channels.slack.channel import SlackChannel
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.clock import FixedClock
from tests.fakes.slack_api import TEAM_ID, Call, FakeSlackApi
from tests.support.database import Database

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


@dataclass
class Posted:
    """A message the bot posted (or an ephemeral one), as Slack would show it."""

    channel: str
    ts: str
    blocks: list[dict[str, Any]]
    text: str
    ephemeral: bool = False
    user: str | None = None

    @classmethod
    def from_call(cls, call: Call) -> Posted:
        """The message a `chat.postMessage` or `chat.postEphemeral` call posted."""
        ephemeral = call.method == "chat.postEphemeral"
        target = str(call.args.get("channel"))
        return cls(
            channel=f"D{target}" if target.startswith("U") else target,
            ts=str(call.response.get("message_ts" if ephemeral else "ts")),
            blocks=list(call.args.get("blocks") or []),
            text=str(call.args.get("text", "")),
            ephemeral=ephemeral,
            user=call.args.get("user"),
        )

    @property
    def prompt_id(self) -> str | None:
        """The question this message asks (None for anything else)."""
        for block in self.blocks:
            block_id = str(block.get("block_id", ""))
            if block_id.endswith(blocks.HINT_SUFFIX):
                return block_id.removesuffix(blocks.HINT_SUFFIX)
        return None

    @property
    def field(self) -> str | None:
        return self.prompt_id.split(".", 2)[2] if self.prompt_id else None

    def elements(self) -> list[tuple[str, dict[str, Any]]]:
        """(block_id, element) for every interactive element."""
        found = []
        for block in self.blocks:
            if block.get("type") == "actions":
                found += [(str(block["block_id"]), e) for e in block["elements"]]
            elif block.get("type") == "input":
                found.append((str(block["block_id"]), block["element"]))
        return found

    @property
    def words(self) -> str:
        return "\n".join(str(b["text"]["text"]) for b in self.blocks if b.get("type") == "section")


@dataclass
class SlackRequests:
    """What one Slack workspace sends to our app, signed, and what the bot sent back (read
    from the fake Web API). Subclasses say where a request goes (`post`)."""

    api: FakeSlackApi
    secret: str = SIGNING_SECRET
    # The workspace the requests come from (its people's team; with several, each has its own).
    team_id: str = TEAM_ID
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Slack's trigger_ids are unique; a repeated one is a replay and is dropped by the bot, so
    # two workspaces in one test (or a restart) must not make the same ones.
    _run: str = field(default_factory=lambda: secrets.token_hex(4))

    # --- sending, signed ---------------------------------------------------------------

    def sign(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None
    ) -> int:
        """POST a raw body to /slack/events, signed unless headers say otherwise; the status."""
        raise NotImplementedError

    async def command(
        self,
        user: str,
        text: str,
        *,
        channel: str | None = None,
        channel_name: str = "directmessage",
    ) -> int:
        """`/ap <text>` typed by `user` (in their DM with the bot unless a channel is given)."""
        body = urlencode(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "team_domain": "ap-test",
                "channel_id": channel or f"D{user}",
                "channel_name": channel_name,
                "user_id": user,
                "user_name": user.lower(),
                "command": "/ap",
                "text": text,
                "api_app_id": "A0001",
                "response_url": self.api.response_url(f"cmd{next(self._ids)}"),
                "trigger_id": f"trigger.{self._run}.{next(self._ids)}",
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded")

    def event_body(self, event: dict[str, Any], *, event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "api_app_id": "A0001",
                "event": event,
                "type": "event_callback",
                "event_id": event_id or f"Ev{self.team_id}{next(self._ids):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team_id, "user_id": "UBOT", "is_bot": True}],
            }
        )

    async def dm(
        self, user: str, text: str, *, event_id: str | None = None, retry: int | None = None
    ) -> int:
        """`user` types `text` in their DM with the bot (Events API `message.im`)."""
        event = {
            "type": "message",
            "channel": f"D{user}",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": f"1800000000.{next(self._ids):06d}",
            "event_ts": f"1800000000.{next(self._ids):06d}",
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(
            self.event_body(event, event_id=event_id),
            "application/json",
            headers=headers if retry else None,
        )

    async def open_home(self, user: str) -> int:
        event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}
        return await self.post(self.event_body(event), "application/json")

    async def act(
        self,
        user: str,
        message: Posted,
        action: dict[str, Any],
        *,
        state: dict[str, Any] | None = None,
    ) -> int:
        """`user` uses an element of `message` (a block_actions payload, form-encoded)."""
        payload = {
            "type": "block_actions",
            "user": {"id": user, "team_id": self.team_id},
            "api_app_id": "A0001",
            "token": "legacy",
            "team": {"id": self.team_id, "domain": "ap-test"},
            "trigger_id": f"trigger.{self._run}.{next(self._ids)}",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": message.ephemeral,
            },
            "channel": {"id": message.channel},
            "response_url": self.api.response_url(f"act{next(self._ids)}"),
            "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
            "state": {"values": state or {}},
        }
        if not message.ephemeral:
            payload["message"] = {"ts": message.ts, "text": message.text, "blocks": message.blocks}
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(self, user: str, message: Posted, label_or_value: str) -> int:
        """Click the button whose label or value is `label_or_value`."""
        for block_id, element in message.elements():
            if element.get("type") == "button" and label_or_value in (
                element["text"]["text"],
                element.get("value"),
            ):
                return await self.act(
                    user, message, {"type": "button", "block_id": block_id, **element}
                )
        raise AssertionError(f"no button {label_or_value!r} in {message.blocks}")

    # --- reading what the bot sent --------------------------------------------------------

    def posted(self, *, user: str | None = None, channel: str | None = None) -> list[Posted]:
        """Messages the bot posted (and ephemeral ones), oldest first."""
        out = []
        for call in self.api.calls:
            if not call.ok or call.method not in ("chat.postMessage", "chat.postEphemeral"):
                continue
            posted = Posted.from_call(call)
            if channel is not None and posted.channel != channel:
                continue
            if user is not None and posted.channel != f"D{user}" and posted.user != user:
                continue
            out.append(posted)
        return out

    def last(self, *, user: str | None = None, channel: str | None = None) -> Posted:
        found = self.posted(user=user, channel=channel)
        assert found, f"nothing posted (calls: {self.api.methods()})"
        return found[-1]

    def updates(self) -> list[Call]:
        return self.api.calls_to("chat.update")

    def responses(self) -> list[Call]:
        return self.api.calls_to("response_url")


@dataclass(kw_only=True)
class SlackWorkspace(SlackRequests):
    """One Slack workspace talking to our app in this process; each request waits for the
    work the bot does after acknowledging."""

    client: TestClient[Any, Any]

    @property
    def slack(self) -> SlackChannel:
        return self.client.app[SLACK]

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None
    ) -> int:
        sent = {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        response = await self.client.post("/slack/events", data=body.encode(), headers=sent)
        await response.read()
        await self.slack.work.drain()
        return response.status


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


async def report_absence(
    workspace: SlackRequests, user: str, channel: str, reference: str, reason: str
) -> Posted:
    """`user` reports an absence for today, both sessions, illness, in a linked channel with
    `/ap absent` (every question answered by its own buttons); the confirmation the bot posts
    for the channel to see."""
    await workspace.command(user, "absent", channel=channel, channel_name="shared")
    await workspace.click(user, workspace.last(channel=channel), reference)
    await workspace.click(user, workspace.last(channel=channel), "today")
    sessions = workspace.last(channel=channel)
    checks = next(e for _, e in sessions.elements() if e["action_id"] == blocks.CHECKS)
    submit = next(e for _, e in sessions.elements() if e["action_id"] == blocks.SUBMIT)
    state = {
        sessions.prompt_id: {
            blocks.CHECKS: {"type": "checkboxes", "selected_options": checks["options"]}
        }
    }
    await workspace.act(user, sessions, {"block_id": sessions.prompt_id, **submit}, state=state)
    asked = workspace.last(channel=channel)
    text_box = {
        "type": "plain_text_input",
        "block_id": asked.prompt_id,
        "action_id": blocks.TEXT,
        "value": reason,
    }
    await workspace.act(user, asked, text_box)
    code = workspace.last(channel=channel)
    select_block, menu = next((b, e) for b, e in code.elements() if e["type"] == "static_select")
    illness = next(o for o in menu["options"] if o["value"] == "I")
    picked = {
        "type": "static_select",
        "block_id": select_block,
        "action_id": menu["action_id"],
        "selected_option": illness,
    }
    await workspace.act(user, code, picked)
    await workspace.click(user, workspace.last(channel=channel), "Save")
    return workspace.last(channel=channel)
