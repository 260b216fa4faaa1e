"""Mounting Teams on the one aiohttp server: POST /api/messages, when Teams is configured.

Teams is served in one of two ways, or not at all (docs/teams-setup.md):

- with an app id (`MicrosoftAppId`; `MicrosoftAppType` SingleTenant, the default, or
  UserAssignedMSI, or MultiTenant for a registration made before July 2025): every request's
  Bot Framework token is validated, only Teams' own channel and the tenants listed
  (`TEAMS_ALLOWED_TENANTS`, by default the app's own) or mapped to an organisation
  (`apbot tenants link`) are let in;
- as a local trial (`TEAMS_LOCAL_TRIAL=true`, on in `make run`), without an app id, on a
  loopback `HOST` only: requests straight from this machine only (`gate.py`).

Anything else (a Slack-only server on a public address, say) starts without Teams and says so.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.channels.teams import wording as teams_wording
from bot.channels.teams.channel import TeamsChannel
from bot.channels.teams.gate import is_loopback
from bot.runtime import Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)

TEAMS = web.AppKey("teams", TeamsChannel)
TEAMS_OFF = web.AppKey("teams_off", str)  # why Teams is not served, when it is not
ENDPOINT = "/api/messages"
APP_TYPES = {
    "singletenant": "SingleTenant",
    "userassignedmsi": "UserAssignedMSI",
    "multitenant": "MultiTenant",
}
# Types whose credentials live in one tenant, MicrosoftAppTenantId.
ONE_TENANT_TYPES = frozenset({"SingleTenant", "UserAssignedMSI"})

__all__ = ["ENDPOINT", "TEAMS", "UnsafeTeamsSetup", "check_settings", "is_loopback", "mount"]


class UnsafeTeamsSetup(SystemExit):
    """Refusing to start: Teams is configured in a way that would let the wrong people in. A
    SystemExit, so `apbot serve` stops with just this message."""


def check_settings(settings: Settings) -> None:
    """Raise `UnsafeTeamsSetup` when an app id is set but who may come in is not settled."""
    if not settings.microsoft_app_id:
        return
    app_type = APP_TYPES.get(settings.microsoft_app_type.strip().lower())
    if app_type is None:
        raise UnsafeTeamsSetup(
            teams_wording.UNKNOWN_APP_TYPE.format(app_type=settings.microsoft_app_type)
        )
    # A managed identity has no secret: Azure gives the bot its tokens where it runs.
    if settings.microsoft_app_password is None and app_type != "UserAssignedMSI":
        raise UnsafeTeamsSetup(teams_wording.NO_APP_PASSWORD)
    if app_type in ONE_TENANT_TYPES and not settings.microsoft_app_tenant_id:
        raise UnsafeTeamsSetup(teams_wording.ONE_TENANT_NEEDS_TENANT.format(app_type=app_type))
    if not settings.allowed_teams_tenants():
        raise UnsafeTeamsSetup(teams_wording.MULTI_TENANT_NEEDS_TENANTS)


def teams_off_reason(settings: Settings) -> str | None:
    """Why Teams is not served with these settings (None: it is)."""
    if settings.microsoft_app_id:
        return None
    if not settings.teams_local_trial:
        return teams_wording.TEAMS_OFF
    if not is_loopback(settings.host):
        return teams_wording.TEAMS_OFF_PUBLIC.format(host=settings.host)
    return None


def mount(app: web.Application, runtime: Runtime) -> TeamsChannel | None:
    """Add POST /api/messages to the app when Teams is configured (after the safety check),
    keeping the channel in `app[TEAMS]` for the scheduler's deliveries; otherwise log why
    Teams is off."""
    settings = runtime.settings
    check_settings(settings)
    off = teams_off_reason(settings)
    if off is not None:
        log.info("Teams: %s", off)
        app[TEAMS_OFF] = off
        return None
    channel = TeamsChannel(settings, runtime.sessions, runtime.clock)
    app[TEAMS] = channel

    async def messages(request: web.Request) -> web.StreamResponse:
        return await channel.adapter.process(request)

    app.router.add_post(ENDPOINT, messages)

    async def finish_turns(_: web.Application) -> None:
        await channel.adapter.work.drain()

    async def close_connections(_: web.Application) -> None:
        await channel.adapter.close()

    app.on_shutdown.append(finish_turns)
    app.on_cleanup.append(close_connections)
    log.info("Teams: %s", teams_status(app))
    return channel


def teams_status(app: web.Application) -> str:
    """One line for the start-up banner: whether Teams is on, and how."""
    channel = app.get(TEAMS)
    if channel is None:
        return app.get(TEAMS_OFF, teams_wording.TEAMS_OFF)
    if channel.adapter.local_trial:
        return teams_wording.TEAMS_LOCAL_TRIAL.format(url=ENDPOINT)
    return teams_wording.TEAMS_ON.format(url=ENDPOINT, tenants=len(channel.allowed_tenants))
