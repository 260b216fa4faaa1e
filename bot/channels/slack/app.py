"""Building the Slack channel from the settings and mounting it on the one aiohttp server.

Events, the `/ap` command and interactivity all arrive at `POST /slack/events`, where every
request's signature is checked (and any older than 5 minutes refused) before bolt reads it,
and its workspace before a listener sees it (see door.py). A delivery the bot keeps
(`kinds.kept_kind`) is kept in the inbound queue and acknowledged right there, with one
workspace, after the same checks bolt and our middleware make (`kept_before_bolt`: bolt's
request, middleware chain and second parse of the body were half the acknowledgement's CPU);
everything else (url_verification, ssl_check, the home tab opened, lifecycle events, OAuth,
and every request with many workspaces) goes through bolt, whose listeners keep what they
are given by the same rule. The turn runs afterwards (see bot/channels/inbound.py). With
`SLACK_APP_TOKEN` set, the same app also runs over Socket Mode (see socket_mode.py): bolt's
listeners, as ever.

Two modes (docs/slack-setup.md):
- **One workspace** (`SLACK_BOT_TOKEN`): the quick start; requests from any other workspace
  are refused (door.workspace_check).
- **Many workspaces** (`SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET`): each workspace adds the
  app at `GET /slack/install` (bolt's OAuth flow; Slack sends the browser back to
  `GET /slack/oauth_redirect`), its installation kept sealed in our database
  (installations.py); each request is answered with its own workspace's token, and a request
  from a workspace with no installation is refused (door.installation_check).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_enterprise_id, extract_team_id
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.inbound import Handler
from bot.channels.slack import (
    actions,
    commands,
    door,
    home,
    kinds,
    lifecycle,
    messages,
    nudge_buttons,
    wording,
)
from bot.channels.slack.channel import (
    HonourRetryAfter,
    SlackChannel,
    in_its_workspace,
    sender_key,
)
from bot.channels.slack.installations import Installations, StoredBotAuthorize
from bot.channels.slack.manifest import BOT_SCOPES, REDIRECT_PATH
from bot.channels.work import Work
from bot.runtime import Runtime
from dialogs.runner import DialogRunner

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
SLACK = web.AppKey("slack", SlackChannel)


def create_slack(runtime: Runtime) -> SlackChannel | None:
    """The Slack channel, or None when neither a bot token nor the OAuth credentials, or no
    signing secret, are set."""
    settings = runtime.settings
    oauth = settings.slack_oauth()
    if settings.slack_signing_secret is None or (settings.slack_bot_token is None and not oauth):
        return None
    rate_limits = HonourRetryAfter()
    base_url = (
        settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else (settings.slack_api_url + "/")
    )
    token = settings.slack_bot_token
    client = AsyncWebClient(
        # With many workspaces the base client holds no token: each call is given its own.
        token=None if oauth or token is None else token.get_secret_value(),
        base_url=base_url,
        retry_handlers=[rate_limits],
    )
    common: dict[str, Any] = {
        "client": client,
        "signing_secret": settings.slack_signing_secret.get_secret_value(),
        # Listeners ack first, then hand the slow part to `Work`, so the response is sent as
        # soon as they return; no work is left to bolt's untracked background futures.
        "process_before_response": True,
        # Checked in `slack_events` instead: bolt's check logs the body of a refused request.
        "request_verification_enabled": False,
    }
    installations: Installations | None = None
    if oauth:
        if token is not None:
            log.warning("slack: SLACK_CLIENT_ID is set, so SLACK_BOT_TOKEN is not used")
        assert settings.slack_client_id and settings.slack_client_secret
        installations = Installations(
            client_id=settings.slack_client_id, engine=runtime.engine, base_client=client
        )
        app = AsyncApp(
            **common,
            oauth_settings=_oauth_settings(runtime, installations),
            installation_store=installations.store,
            # bolt takes an AsyncAuthorize object here too (its type hint says only a function).
            authorize=StoredBotAuthorize(installations),  # type: ignore[arg-type]
            before_authorize=door.installation_check(_is_installed(installations)),
        )
    else:
        app = AsyncApp(**common)
    slack = SlackChannel(
        runtime=runtime,
        app=app,
        base_client=client,
        runner=DialogRunner(runtime.sessions, runtime.clock),
        work=Work(label="slack"),
        rate_limits=rate_limits,
        socket_mode=settings.slack_app_token is not None,
        installations=installations,
    )
    if installations is not None:
        success, failure = lifecycle.installed_callbacks(slack)
        oauth_flow = app.oauth_flow
        assert oauth_flow is not None
        oauth_flow.settings.callback_options = AsyncCallbackOptions(
            success=success, failure=failure
        )
        oauth_flow.success_handler = success
        oauth_flow.failure_handler = failure
    else:
        app.use(door.workspace_check(lambda: installed_workspace(slack)))
    for feature in (commands, messages, actions, home, nudge_buttons, lifecycle):
        feature.register(slack)
    for kind, handler in list(slack.inbound.handlers.items()):
        slack.inbound.handle(kind, _knowing_the_workspace(slack, handler))
    return slack


def _oauth_settings(runtime: Runtime, installations: Installations) -> AsyncOAuthSettings:
    settings = runtime.settings
    assert settings.slack_client_id and settings.slack_client_secret
    public = (settings.public_base_url or "").rstrip("/")
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=sorted(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=f"{public}{REDIRECT_PATH}" if public else None,
        install_path=INSTALL_PATH,
        # /slack/install sends the browser straight to Slack (the "Add to Slack" link).
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations.store,
        installation_store_bot_only=True,
        state_store=installations.states,
        logger=log,
    )


def _is_installed(installations: Installations) -> door.InstalledLookup:
    async def installed(team_id: str | None, enterprise_id: str | None, grid: bool) -> bool:
        found = await installations.bot(
            team_id=team_id, enterprise_id=enterprise_id, enterprise_install=grid
        )
        return found is not None and bool(found.bot_token)

    return installed


def _knowing_the_workspace(slack: SlackChannel, handler: Handler) -> Handler:
    """A kept turn may run in a process no request has reached (`apbot worker`, or after a
    restart): who belongs to the workspace is known first (`installed_workspace`, once); with
    many workspaces, the turn runs with its own workspace's token (`in_its_workspace`)."""

    async def run(body: dict[str, Any]) -> None:
        if slack.installations is None:
            await installed_workspace(slack)
        await in_its_workspace(slack, body, lambda: handler(body))

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
    found = await bot_identity(slack)
    if found is None:
        return None
    enterprise_id = settings.slack_enterprise_id or found.enterprise_id
    slack.workspace = door.Workspace(found.team_id, enterprise_id)
    return slack.workspace


async def bot_identity(slack: SlackChannel) -> door.BotIdentity | None:
    """What `auth.test` says of the bot token (asked once, then remembered, as bolt's own
    single-workspace authorization does); None while Slack does not answer it."""
    if slack.bot_identity is not None:
        return slack.bot_identity
    try:
        found = await slack.base_client.auth_test()
    except SlackApiError as error:
        log.error("slack: auth.test failed (%s); refusing requests", error.response.get("error"))
        return None
    except (aiohttp.ClientError, TimeoutError) as error:
        log.error("slack: auth.test failed (%s); refusing requests", type(error).__name__)
        return None
    team_id = found.get("team_id")
    if not team_id:
        return None
    slack.bot_identity = door.BotIdentity(
        team_id=str(team_id),
        enterprise_id=found.get("enterprise_id") or None,
        user_id=found.get("user_id") or None,
        bot_id=found.get("bot_id") or None,
    )
    return slack.bot_identity


async def slack_events(request: web.Request) -> web.Response:
    """Everything Slack sends over HTTP: verified here; a delivery the bot keeps is kept and
    answered here (`kept_before_bolt`), anything else dispatched by bolt."""
    slack = request.app[SLACK]
    secret = slack.runtime.settings.slack_signing_secret
    assert secret is not None  # Slack is mounted only with a signing secret
    raw = await request.read()
    refusal = door.check_signature(secret.get_secret_value(), request.headers, raw)
    shaped = door.Shaped("", None)
    if refusal is None:
        shaped, refusal = door.check_shape(raw, request.headers.get("Content-Type", ""))
    if refusal is not None:
        door.refused(refusal)
        return web.json_response({"error": "Not a Slack request."}, status=refusal.status)
    if slack.installations is None:  # many workspaces: bolt's path (its installation lookup)
        answer = await kept_before_bolt(slack, shaped, request.headers.get("Content-Type"))
        if answer is not None:
            return await to_aiohttp_response(answer)
    bolt_request = AsyncBoltRequest(
        body=shaped.text,
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
    )
    return await to_aiohttp_response(await slack.app.async_dispatch(bolt_request))


async def kept_before_bolt(
    slack: SlackChannel, shaped: door.Shaped, content_type: str | None
) -> BoltResponse | None:
    """The lean path, with one workspace: a verified request the bot keeps (`kinds.kept_kind`)
    is checked as bolt and our middleware would check it, kept, and answered as bolt's `ack()`
    would answer it, without bolt building its request again, parsing the body again and
    running its middleware chain (half the acknowledgement's CPU). None: bolt's path decides
    (not a kind the bot keeps, a body bolt would read otherwise, or `auth.test` not answered,
    for which bolt has its own answer).

    The same checks, in bolt's order: its authorization (`auth.test` answered once), its
    ignoring the bot's own events, then our workspace check (`door.workspace_refusal`). The
    payload is the body as bolt parses it (`door.bolt_body`), so the listener on bolt's path
    and this path keep the same dict."""
    try:
        payload = door.bolt_body(shaped, content_type)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    kind = kinds.kept_kind(payload)
    if kind is None:
        return None
    identity = await bot_identity(slack)
    if identity is None:
        return None
    event = payload.get("event")
    if isinstance(event, dict) and (
        (identity.user_id is not None and event.get("user") == identity.user_id)
        or (identity.bot_id is not None and event.get("bot_id") == identity.bot_id)
    ):
        return await AsyncAck()()  # the bot's own message: bolt ignores it the same way
    refusal = door.workspace_refusal(
        await installed_workspace(slack), extract_team_id(payload), extract_enterprise_id(payload)
    )
    if refusal is not None:
        return refusal
    await slack.inbound.accept(kind, payload, sender=sender_key(payload))
    return await AsyncAck()()


async def slack_oauth(request: web.Request) -> web.Response:
    """`GET /slack/install` ("Add to Slack": a state issued, its cookie set, the browser sent
    to Slack) and `GET /slack/oauth_redirect` (Slack sends the browser back: the state checked
    against the cookie and consumed once, the code exchanged, the installation kept)."""
    slack = request.app[SLACK]
    flow = slack.app.oauth_flow
    assert flow is not None  # the routes are added only in OAuth mode
    bolt_request = AsyncBoltRequest(
        body="",
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
    )
    if request.path == INSTALL_PATH:
        response = await flow.handle_installation(bolt_request)
    else:
        response = await flow.handle_callback(bolt_request)
    return await to_aiohttp_response(response)


def mount_slack(app: web.Application, runtime: Runtime) -> SlackChannel | None:
    """Add Slack to the server when it is configured; otherwise say that Slack is off."""
    slack = create_slack(runtime)
    if slack is None:
        log.info(wording.SLACK_OFF)
        return None
    app[SLACK] = slack
    app.router.add_post(EVENTS_PATH, slack_events)
    if slack.installations is not None:
        app.router.add_get(INSTALL_PATH, slack_oauth)
        app.router.add_get(REDIRECT_PATH, slack_oauth)

    async def open_session(_: web.Application) -> None:
        # One HTTP session, and its kept-alive connections, for every Web API call of the
        # process (bolt's, the replies', the deliverer's): without it slack_sdk opens a session
        # and a TCP (and TLS) connection for each call.
        timeout = aiohttp.ClientTimeout(total=slack.base_client.timeout)
        slack.base_client.session = aiohttp.ClientSession(timeout=timeout)

    async def finish_work(_: web.Application) -> None:
        await slack.work.drain()

    async def close_session(_: web.Application) -> None:
        if slack.base_client.session is not None:
            await slack.base_client.session.close()
            slack.base_client.session = None

    app.on_startup.append(open_session)
    app.on_shutdown.append(finish_work)
    app.on_cleanup.append(close_session)
    log.info(slack_status(app))
    return slack


def slack_status(app: web.Application) -> str:
    """One line for the start-up banner: whether Slack is on, and how."""
    slack = app.get(SLACK)
    if slack is None:
        return wording.SLACK_OFF
    status = (
        wording.SLACK_ON_SOCKET
        if slack.socket_mode
        else wording.SLACK_ON_HTTP.format(url=EVENTS_PATH)
    )
    if slack.installations is not None:
        status += wording.SLACK_MANY_WORKSPACES.format(url=INSTALL_PATH)
    return status
