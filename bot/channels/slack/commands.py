"""`/ap`: the same words as the terminal (`/ap start`, `/ap absent`, `/ap status AP-7K3Q`, ...).

In a provider's shared channel (one linked to the organisation) the dialogs allowed there run
in the channel, privately to the person, and offer only that organisation's placements;
anywhere else the dialog runs in the person's DM with the bot. `/ap link` and
`/ap link-channel` are for admins. A command is run once: the same signed request sent again
(within Slack's five minutes) is refused.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.channels.slack import kinds, wording
from bot.channels.slack.channel import (
    CHANNEL,
    PLATFORM,
    SlackChannel,
    request_workspace,
    sender_key,
)
from bot.channels.slack.conversation import Delivery, SlackTurns, respond, unescape
from bot.channels.slack.dedupe import request_key
from bot.channels.slack.identity import link_user
from bot.channels.turn import take_turn
from dialogs.runner import Incoming
from storage.db import transaction
from storage.models import Person, Role
from storage.services.audit import Change
from storage.services.directory import find_organisation
from storage.services.identity_links import LinkError
from storage.services.shared_channels import link_channel

log = logging.getLogger(__name__)

COMMAND = kinds.COMMAND


def register(slack: SlackChannel) -> None:
    """Listen for `/ap`."""

    async def on_ap(ack: AsyncAck, body: dict[str, Any]) -> None:
        if kinds.kept_kind(body) == COMMAND:
            await slack.inbound.accept(COMMAND, body, sender=sender_key(body))
        await ack()

    slack.inbound.handle(COMMAND, lambda body: handle_command(slack, body))
    slack.app.command(COMMAND)(on_ap)


async def handle_command(slack: SlackChannel, body: dict[str, Any]) -> None:
    """One `/ap ...`, after the acknowledgement; a replay of the same request is dropped."""
    key = request_key(body)
    if key is None:
        log.warning("slack: dropped a slash command with no trigger_id")
        return
    response_url = body.get("response_url")
    text = unescape(str(body.get("text") or "")).strip()

    async def link_commands(person: Person) -> bool:
        """`/ap link ...` and `/ap link-channel ...`, for admins: not dialogs."""
        word, _, args = text.partition(" ")
        if word.lower() == "link":
            await _reply(slack, response_url, await link_user(slack, person, args))
            return True
        if word.lower() == "link-channel":
            await _reply(slack, response_url, await _link_channel(slack, person, body, args))
            return True
        return False

    inbound = Delivery(
        "command",
        str(body.get("user_id", "")),
        str(body.get("channel_id", "")),
        Incoming(text=text or "help"),
        delivery=key,
        response_url=response_url,
        intercept=link_commands,
    )
    await take_turn(SlackTurns(slack), inbound)


async def _reply(slack: SlackChannel, response_url: Any, text: str) -> None:
    if response_url:
        await respond(str(response_url), text)


def _posting_workspace() -> str | None:
    """With many workspaces: the workspace whose installation the link was made through (its
    bot is in the channel: it can post there later, on its own)."""
    found = request_workspace()
    return found.team_id if found is not None else None


async def _link_channel(slack: SlackChannel, admin: Person, body: dict[str, Any], args: str) -> str:
    """`/ap link-channel Provider Name`, run in the provider's shared channel."""
    if admin.role != Role.admin:
        return wording.ADMINS_ONLY
    channel_id = str(body.get("channel_id", ""))
    if not channel_id or channel_id.startswith("D") or not args.strip():
        return wording.NOT_A_CHANNEL if args.strip() else wording.LINK_USAGE
    async with transaction(slack.runtime.sessions) as session:
        organisation = await find_organisation(session, args.strip())
        if organisation is None:
            return wording.NO_SUCH_ORG.format(name=args.strip())
        change = Change(person_id=admin.id, channel=CHANNEL, at=slack.runtime.clock.now())
        try:
            await link_channel(
                session,
                change,
                platform=PLATFORM,
                external_id=channel_id,
                organisation=organisation,
                name=body.get("channel_name"),
                workspace_id=_posting_workspace(),
            )
        except LinkError as error:
            return str(error)
        return wording.LINKED_CHANNEL.format(org=organisation.name)
