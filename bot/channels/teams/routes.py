"""Mounting Teams on the one aiohttp server: POST /api/messages, and the start-up safety check.

With an app id (`MicrosoftAppId`) every request's Bot Framework token is validated. Without
one, nobody's token is checked: fine on a loopback address (Microsoft 365 Agents Playground,
`make run`), refused anywhere else unless `TEAMS_ALLOW_UNAUTHENTICATED=true` says so.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

from bot.channels.teams.channel import TeamsChannel
from bot.runtime import Runtime
from bot.settings import Settings

TEAMS = web.AppKey("teams", TeamsChannel)
ENDPOINT = "/api/messages"


class UnsafeTeamsSetup(SystemExit):
    """Refusing to start: the Teams endpoint would be open to anyone. A SystemExit, so
    `apbot serve` stops with just this message."""


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_settings(settings: Settings) -> None:
    """Raise `UnsafeTeamsSetup` when /api/messages would be served unauthenticated to a network."""
    if settings.microsoft_app_id or is_loopback(settings.host):
        return
    if settings.teams_allow_unauthenticated:
        return
    raise UnsafeTeamsSetup(
        f"Refusing to start: HOST is {settings.host}, not a loopback address, and "
        "MicrosoftAppId is not set, so anyone who can reach this server could talk to the Teams "
        "endpoint (/api/messages) as anyone. Set MicrosoftAppId and MicrosoftAppPassword (see "
        "README, 'Set up in Teams'), or set HOST=127.0.0.1, or, only on a private test network, "
        "TEAMS_ALLOW_UNAUTHENTICATED=true."
    )


def mount(app: web.Application, runtime: Runtime) -> TeamsChannel:
    """Add POST /api/messages to the app (after the safety check); the channel is kept in
    `app[TEAMS]` for the scheduler's deliveries."""
    check_settings(runtime.settings)
    channel = TeamsChannel(runtime.settings, runtime.sessions, runtime.clock)
    app[TEAMS] = channel

    async def messages(request: web.Request) -> web.StreamResponse:
        return await channel.adapter.process(request)

    app.router.add_post(ENDPOINT, messages)

    async def finish_turns(_: web.Application) -> None:
        await channel.adapter.work.drain()

    app.on_shutdown.append(finish_turns)
    return channel
