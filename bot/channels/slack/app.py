"""Building the Slack channel from the settings and mounting it on the one aiohttp server.

Events, the `/ap` command and interactivity all arrive at `POST /slack/events`, where bolt
checks every request's signature (and refuses any older than 5 minutes) before a listener
sees it. Listeners acknowledge at once and do their work afterwards (see work.py). With
`SLACK_APP_TOKEN` set, the same app also runs over Socket Mode (see socket_mode.py).
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import actions, commands, home, messages, nudge_buttons, wording
from bot.channels.slack.channel import HonourRetryAfter, SlackChannel
from bot.channels.work import Work
from bot.runtime import Runtime
from dialogs.runner import DialogRunner

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SLACK = web.AppKey("slack", SlackChannel)


def create_slack(runtime: Runtime) -> SlackChannel | None:
    """The Slack channel, or None when the bot token or signing secret is not set."""
    settings = runtime.settings
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        return None
    rate_limits = HonourRetryAfter()
    base_url = (
        settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else (settings.slack_api_url + "/")
    )
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=base_url,
        retry_handlers=[rate_limits],
    )
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        # Listeners ack first, then hand the slow part to `Work`, so the response is sent as
        # soon as they return; no work is left to bolt's untracked background futures.
        process_before_response=True,
    )
    slack = SlackChannel(
        runtime=runtime,
        app=app,
        client=client,
        runner=DialogRunner(runtime.sessions, runtime.clock),
        work=Work(label="slack"),
        rate_limits=rate_limits,
        socket_mode=settings.slack_app_token is not None,
    )
    for feature in (commands, messages, actions, home, nudge_buttons):
        feature.register(slack)
    return slack


# Fields Slack always sends as objects; anything else is not a request from Slack.
OBJECT_FIELDS = ("event", "user", "team", "view", "container", "channel", "message", "enterprise")


def _well_formed(body: str, content_type: str) -> bool:
    """Whether a body has the shape Slack's requests have (bolt assumes it, and would crash)."""
    try:
        if "json" in content_type:
            data = json.loads(body)
        else:
            fields = parse_qs(body, keep_blank_values=True)
            if "payload" not in fields:
                return True  # a slash command: plain form fields
            data = json.loads(fields["payload"][0])
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    actions = data.get("actions", [{}])
    if not (isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)):
        return False
    return all(isinstance(data[key], dict) for key in OBJECT_FIELDS if key in data)


async def slack_events(request: web.Request) -> web.Response:
    """Everything Slack sends over HTTP: verified and dispatched by bolt."""
    slack = request.app[SLACK]
    body = await request.text()
    if not _well_formed(body, request.headers.get("Content-Type", "")):
        return web.json_response({"error": "Not a Slack request."}, status=400)
    bolt_response = await slack.app.async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(bolt_response)


def mount_slack(app: web.Application, runtime: Runtime) -> SlackChannel | None:
    """Add Slack to the server when it is configured; otherwise say that Slack is off."""
    slack = create_slack(runtime)
    if slack is None:
        log.info(wording.SLACK_OFF)
        return None
    app[SLACK] = slack
    app.router.add_post(EVENTS_PATH, slack_events)

    async def finish_work(_: web.Application) -> None:
        await slack.work.drain()

    app.on_shutdown.append(finish_work)
    log.info(wording.SLACK_ON_HTTP.format(url=EVENTS_PATH))
    return slack


def slack_status(app: web.Application) -> str:
    """One line for the start-up banner: whether Slack is on, and how."""
    slack = app.get(SLACK)
    if slack is None:
        return wording.SLACK_OFF
    if slack.socket_mode:
        return wording.SLACK_ON_SOCKET
    return wording.SLACK_ON_HTTP.format(url=EVENTS_PATH)
