"""Socket Mode: the same Slack app over a websocket that the bot opens (no public URL), in the
same process as the web server, when `SLACK_APP_TOKEN` (xapp-...) is set."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot.channels.slack.app import SLACK

log = logging.getLogger(__name__)


async def start_socket_mode(app: web.Application) -> AsyncSocketModeHandler | None:
    """Connect over Socket Mode if Slack is on and an app token is set; None otherwise.
    Close the returned handler (`await handler.close_async()`) on shutdown."""
    slack = app.get(SLACK)
    token = slack.runtime.settings.slack_app_token if slack else None
    if slack is None or token is None:
        return None
    handler = AsyncSocketModeHandler(slack.app, token.get_secret_value())
    await handler.connect_async()
    log.info("slack: connected over Socket Mode")
    return handler
