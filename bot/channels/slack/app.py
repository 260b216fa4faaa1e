"""Building the Slack channel from the settings and mounting it on the one aiohttp server.

Events, the `/ap` command and interactivity all arrive at `POST /slack/events`, where every
request's signature is checked (and any older than 5 minutes refused) before bolt reads it,
and its workspace before a listener sees it (see door.py). Listeners keep the request in the
inbound queue, acknowledge, and the turn runs afterwards (see bot/channels/inbound.py). With
`SLACK_APP_TOKEN` set, the same app also runs over Socket Mode (see socket_mode.py).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.inbound import Handler
from bot.channels.slack import actions, commands, door, home, messages, nudge_buttons, wording
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
        # Checked in `slack_events` instead: bolt's check logs the body of a refused request.
        request_verification_enabled=False,
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
    app.use(door.workspace_check(lambda: installed_workspace(slack)))
    for feature in (commands, messages, actions, home, nudge_buttons):
        feature.register(slack)
    for kind, handler in list(slack.inbound.handlers.items()):
        slack.inbound.handle(kind, _knowing_the_workspace(slack, handler))
    return slack


def _knowing_the_workspace(slack: SlackChannel, handler: Handler) -> Handler:
    """A kept turn may run in a process no request has reached (`apbot worker`, or after a
    restart): who belongs to the workspace is known first (`installed_workspace`, once)."""

    async def run(body: dict[str, Any]) -> None:
        await installed_workspace(slack)
        await handler(body)

    return run


async def installed_workspace(slack: SlackChannel) -> door.Workspace | None:
    """The workspace the bot is installed in: from the settings, or else the one the bot token
    belongs to (asked of Slack once, with `auth.test`, then remembered)."""
    if slack.workspace is not None:
        return slack.workspace
    settings = slack.runtime.settings
    if settings.slack_team_id:
        slack.workspace = door.Workspace(settings.slack_team_id, settings.slack_enterprise_id)
        return slack.workspace
    try:
        found = await slack.client.auth_test()
    except SlackApiError as error:
        log.error("slack: auth.test failed (%s); refusing requests", error.response.get("error"))
        return None
    except (aiohttp.ClientError, TimeoutError) as error:
        log.error("slack: auth.test failed (%s); refusing requests", type(error).__name__)
        return None
    team_id = found.get("team_id")
    if not team_id:
        return None
    enterprise_id = settings.slack_enterprise_id or found.get("enterprise_id") or None
    slack.workspace = door.Workspace(str(team_id), enterprise_id)
    return slack.workspace


async def slack_events(request: web.Request) -> web.Response:
    """Everything Slack sends over HTTP: verified here, then dispatched by bolt."""
    slack = request.app[SLACK]
    secret = slack.runtime.settings.slack_signing_secret
    assert secret is not None  # Slack is mounted only with a signing secret
    raw = await request.read()
    refusal = door.check_signature(secret.get_secret_value(), request.headers, raw)
    body = ""
    if refusal is None:
        body, refusal = door.check_shape(raw, request.headers.get("Content-Type", ""))
    if refusal is not None:
        door.refused(refusal)
        return web.json_response({"error": "Not a Slack request."}, status=refusal.status)
    bolt_request = AsyncBoltRequest(
        body=body,
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
    )
    return await to_aiohttp_response(await slack.app.async_dispatch(bolt_request))


def mount_slack(app: web.Application, runtime: Runtime) -> SlackChannel | None:
    """Add Slack to the server when it is configured; otherwise say that Slack is off."""
    slack = create_slack(runtime)
    if slack is None:
        log.info(wording.SLACK_OFF)
        return None
    app[SLACK] = slack
    app.router.add_post(EVENTS_PATH, slack_events)

    async def open_session(_: web.Application) -> None:
        # One HTTP session, and its kept-alive connections, for every Web API call of the
        # process (bolt's, the replies', the deliverer's): without it slack_sdk opens a session
        # and a TCP (and TLS) connection for each call.
        timeout = aiohttp.ClientTimeout(total=slack.client.timeout)
        slack.client.session = aiohttp.ClientSession(timeout=timeout)

    async def finish_work(_: web.Application) -> None:
        await slack.work.drain()

    async def close_session(_: web.Application) -> None:
        if slack.client.session is not None:
            await slack.client.session.close()
            slack.client.session = None

    app.on_startup.append(open_session)
    app.on_shutdown.append(finish_work)
    app.on_cleanup.append(close_session)
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
