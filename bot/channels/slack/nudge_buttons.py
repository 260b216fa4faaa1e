"""The buttons under a nudge (Done, Snooze 1 day, Snooze 1 week, Open).

A click is read here into a `Delivery` and run through the turn pipeline like any other click
(first delivery, identify, database trouble); what the button does is the same on every platform
(`bot.channels.nudge_actions`): it acts on exactly the outbox message it came with (`value` = its
id), the nudge is then updated to say what happened, without buttons, and a dialog to carry on
with (e.g. `visit AP-7K3Q`) starts in the person's DM as if typed.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.channels.nudge_actions import Pressed
from bot.channels.slack import blocks, kinds
from bot.channels.slack.channel import SlackChannel, sender_key
from bot.channels.slack.conversation import Clicked, Delivery, SlackTurns
from bot.channels.slack.dedupe import action_key
from bot.channels.turn import take_turn
from dialogs.runner import Incoming


def register(slack: SlackChannel) -> None:
    """Listen for `nudge_*` actions."""

    async def on_nudge(ack: AsyncAck, body: dict[str, Any]) -> None:
        if kinds.kept_kind(body) == kinds.NUDGE:
            await slack.inbound.accept(kinds.NUDGE, body, sender=sender_key(body))
        await ack()

    slack.inbound.handle(kinds.NUDGE, lambda body: handle_nudge(slack, body))
    slack.app.action(re.compile(f"^{blocks.NUDGE}"))(on_nudge)


def read_press(body: dict[str, Any]) -> Delivery:
    """A nudge button's click, read: who, which button on which outbox message, and the nudge
    message clicked (to say on it what happened)."""
    user_id = str((body.get("user") or {}).get("id", ""))
    action: dict[str, Any] = body["actions"][0]
    container: dict[str, Any] = body.get("container") or {}
    channel_id = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    clicked = Clicked(
        channel_id=channel_id,
        ts=container.get("message_ts"),
        ephemeral=bool(container.get("is_ephemeral")),
        response_url=body.get("response_url"),
        answer=str((action.get("text") or {}).get("text", "")),
        original_blocks=list((body.get("message") or {}).get("blocks") or []),
    )
    pressed = Pressed(
        action=str(action.get("action_id", "")).removeprefix(blocks.NUDGE),
        outbox_id=str(action.get("value", "")),
    )
    return Delivery(
        "nudge",
        user_id,
        channel_id,
        Incoming(text=""),
        delivery=action_key(body),
        response_url=body.get("response_url"),
        clicked=clicked,
        nudge=pressed,
    )


async def handle_nudge(slack: SlackChannel, body: dict[str, Any]) -> None:
    """One nudge button, after the acknowledgement; a second click is dropped."""
    await take_turn(SlackTurns(slack), read_press(body))
