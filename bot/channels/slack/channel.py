"""What the Slack channel holds while the bot runs: the bolt app, the Web API client (with its
rate-limit handling), the dialog runner, and the work done after each acknowledgement.

With one workspace (`SLACK_BOT_TOKEN`) there is one client. With many (OAuth), each turn runs
with its own workspace's client: `SlackChannel.client` is the client of the request whose turn
is running (`answering`, set around each kept turn by `app.py`), and the token-less base client
anywhere else (which is only ever given a token explicitly: installs, deliveries).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.inbound import InboundQueue
from bot.channels.slack.door import BotIdentity, Workspace
from bot.channels.slack.installations import Installations, RequestWorkspace
from bot.channels.work import Work
from bot.runtime import Runtime
from dialogs.runner import DialogRunner

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
PLATFORM = "slack"
# The channel name written in the audit log and given to dialogs.
CHANNEL = "slack"


def retry_after_seconds(headers: Mapping[str, Any]) -> float | None:
    """The Retry-After header of a response, in seconds, if it has one."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except ValueError:
                return None
    return None


class HonourRetryAfter(AsyncRetryHandler):
    """Retry a Web API call that Slack answered with HTTP 429, after waiting exactly as long as
    its Retry-After header asks (1 second if it gives none), when that is at most `max_wait`
    seconds. A longer wait is not spent holding the request: the 429 goes back to the caller
    (the scheduler then tries again after Retry-After, so three long waits can never outlast
    its five-minute claim on a message). `sleep` is swappable for tests; `waits` records every
    wait, for the logs and for tests."""

    def __init__(
        self, max_retry_count: int = 3, sleep: Sleep = asyncio.sleep, max_wait: float = 30.0
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep
        self.max_wait = max_wait
        self.waits: list[float] = []

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_seconds(response.headers)
        return wait is None or wait <= self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = retry_after_seconds(response.headers) if response is not None else None
        wait = 1.0 if wait is None else wait
        self.waits.append(wait)
        log.info("slack: rate limited on %s; retrying after %ss", request.url, wait)
        state.next_attempt_requested = True
        await self.sleep(wait)
        state.increment_current_attempt()


# The workspace of the request whose turn runs in this task (OAuth mode); see `answering`.
REQUEST: contextvars.ContextVar[RequestWorkspace | None] = contextvars.ContextVar(
    "slack_request_workspace", default=None
)


def request_workspace() -> RequestWorkspace | None:
    """The workspace of the request being answered in this task (None with one workspace)."""
    return REQUEST.get()


@asynccontextmanager
async def answering(found: RequestWorkspace) -> AsyncIterator[None]:
    """Within: `SlackChannel.client` is this workspace's, and identity checks its mapping."""
    token = REQUEST.set(found)
    try:
        yield
    finally:
        REQUEST.reset(token)


@dataclass
class SlackChannel:
    """The running Slack channel. Built by `bot.channels.slack.app.create_slack`."""

    runtime: Runtime
    app: AsyncApp
    base_client: AsyncWebClient
    runner: DialogRunner
    work: Work
    rate_limits: HonourRetryAfter
    socket_mode: bool = False
    # The workspace the bot is installed in, once known (see app.installed_workspace).
    workspace: Workspace | None = None
    # What `auth.test` said of the bot token, once it answered (see app.bot_identity).
    bot_identity: BotIdentity | None = None
    # OAuth mode (many workspaces): where their installations are kept; None with one token.
    installations: Installations | None = None
    # Every acknowledged delivery is kept here before the 200 (see bot/channels/inbound.py).
    inbound: InboundQueue = field(init=False)

    def __post_init__(self) -> None:
        self.inbound = InboundQueue(
            platform=PLATFORM,
            settings=self.runtime.settings,
            sessions=self.runtime.sessions,
            clock=self.runtime.clock,
            work=self.work,
        )

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client to answer with: the running request's workspace's, else the
        base client (with one workspace, the only one, holding its token)."""
        found = REQUEST.get()
        return found.client if found is not None else self.base_client


async def in_its_workspace(
    slack: SlackChannel, body: dict[str, Any], work: Callable[[], Awaitable[None]]
) -> None:
    """Run `work` for a request with its own workspace's client (OAuth mode; with one
    workspace, as it is). A request whose workspace has no installation any more (removed
    between the acknowledgement and the turn) is dropped, logged without its content."""
    if slack.installations is None:
        await work()
        return
    found = await slack.installations.request_workspace(body)
    if found is None:
        log.warning("slack: a kept request's workspace has no installation now; not answered")
        return
    async with answering(found):
        await work()


def sender_key(body: dict[str, Any]) -> str | None:
    """Who sent a request (a slash command, an event, a click), so one person's turns run in
    the order they were sent (see `Work`)."""
    event = body.get("event")
    user = body.get("user")
    found = (
        body.get("user_id")
        or (event.get("user") if isinstance(event, dict) else None)
        or (user.get("id") if isinstance(user, dict) else None)
    )
    return f"slack:{found}" if found else None
