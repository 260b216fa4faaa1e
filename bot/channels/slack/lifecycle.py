"""A workspace adding and removing the app (many workspaces, OAuth).

- **Installed** ("Add to Slack" completed): the admins are told, with the command that maps
  the workspace to its organisation (until then its people get the "ask your admin" answer).
- **`app_uninstalled`, `tokens_revoked`** (the bot's token): the workspace's installation and
  bots are deleted, so its token is gone; its people and channels are kept (with everything
  they recorded); the admins are told. Kept and run like any other turn: acknowledged means done.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.oauth.async_callback_options import AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.response import BoltResponse
from sqlalchemy import select

from bot.channels.slack import kinds
from bot.channels.slack.channel import SlackChannel
from storage.db import transaction
from storage.models import Organisation
from storage.services.identity_links import tell_admins
from storage.services.workspaces import organisations_for
from storage.wording import NoticeKind, admin_notices

log = logging.getLogger(__name__)

REMOVED_EVENTS = ("app_uninstalled", "tokens_revoked")
HOW = {"app_uninstalled": "removed", "tokens_revoked": "disconnected (its token revoked)"}


def register(slack: SlackChannel) -> None:
    """Listen for the app being removed from a workspace (only with many workspaces; with one
    token there is nothing to delete, and the admins are told just the same)."""

    async def on_removed(ack: AsyncAck, body: dict[str, Any]) -> None:
        if _bot_token_gone(body):
            await slack.inbound.accept(kinds.REMOVED, body, sender=None)
        await ack()

    slack.inbound.handle(kinds.REMOVED, lambda body: handle_removed(slack, body))
    for event in REMOVED_EVENTS:
        slack.app.event(event)(on_removed)


def _bot_token_gone(body: dict[str, Any]) -> bool:
    """`app_uninstalled`, or `tokens_revoked` naming a bot token (a user's revoked token is
    none of ours: the app asks for no user scopes)."""
    event = body.get("event") or {}
    if event.get("type") == "app_uninstalled":
        return True
    return bool(((event.get("tokens") or {}).get("bot")) or [])


async def handle_removed(slack: SlackChannel, body: dict[str, Any]) -> None:
    """Delete the workspace's tokens; keep its people and channels; tell the admins."""
    event = body.get("event") or {}
    team_id = body.get("team_id") or None
    enterprise_id = body.get("enterprise_id") or None
    name = ""
    if slack.installations is not None:
        name = (await slack.installations.names([team_id] if team_id else [])).get(str(team_id), "")
        removed = await slack.installations.forget(team_id=team_id, enterprise_id=enterprise_id)
        log.warning(
            "slack: the app was %s in workspace %s; %s stored installation rows deleted",
            HOW.get(str(event.get("type")), "removed"),
            team_id or enterprise_id,
            removed,
        )
    how = HOW.get(str(event.get("type")), "removed")
    async with transaction(slack.runtime.sessions) as session:
        await tell_admins(
            session,
            key=f"slack-removed:{team_id or enterprise_id}:{body.get('event_id', '')}",
            kind=NoticeKind.slack_workspace_removed,
            text=admin_notices.slack_workspace_removed(
                team_id=str(team_id or enterprise_id), name=name, how=how
            ),
            at=slack.runtime.clock.now(),
        )


def installed_callbacks(slack: SlackChannel) -> tuple[Any, Any]:
    """bolt's OAuth success and failure handlers: the admins are told of a new installation;
    a failed one is logged by its reason only (never the code or the state)."""

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        team_id = installation.team_id or installation.enterprise_id or ""
        name = installation.team_name or installation.enterprise_name or ""
        log.info("slack: the app was installed in workspace %s", team_id)
        ids = [i for i in (installation.team_id, installation.enterprise_id) if i]
        async with transaction(slack.runtime.sessions) as session:
            mapped = await organisations_for(session, platform="slack", external_ids=ids)
            names = sorted(
                await session.scalars(select(Organisation.name).where(Organisation.id.in_(mapped)))
            )
            await tell_admins(
                session,
                key=f"slack-installed:{team_id}:{installation.installed_at}",
                kind=NoticeKind.slack_workspace_installed,
                text=admin_notices.slack_workspace_installed(
                    team_id=team_id, name=name, mapped_to=names
                ),
                at=slack.runtime.clock.now(),
            )
        return await args.default.success(args)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        log.warning("slack: an install was refused (%s)", args.reason)
        return await args.default.failure(args)

    return success, failure
