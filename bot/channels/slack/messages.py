"""Direct messages to the bot: the same words as the terminal, and typed answers to questions."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.channels.slack import kinds
from bot.channels.slack.channel import SlackChannel, sender_key
from bot.channels.slack.conversation import Delivery, SlackTurns, unescape
from bot.channels.slack.dedupe import event_key
from bot.channels.slack.kinds import is_typed_dm
from bot.channels.turn import take_turn
from dialogs.runner import Incoming


def register(slack: SlackChannel) -> None:
    """Listen for messages in the bot's DMs (`message.im`)."""

    async def on_message(ack: AsyncAck, body: dict[str, Any]) -> None:
        if kinds.kept_kind(body) == kinds.MESSAGE:
            await slack.inbound.accept(kinds.MESSAGE, body, sender=sender_key(body))
        await ack()

    slack.inbound.handle(kinds.MESSAGE, lambda body: handle_message(slack, body))
    slack.app.event("message")(on_message)


async def handle_message(slack: SlackChannel, body: dict[str, Any]) -> None:
    """One DM, after the acknowledgement; a repeat delivery of the same event is dropped."""
    event: dict[str, Any] = body.get("event") or {}
    if not is_typed_dm(event):
        return
    text = unescape(str(event.get("text") or ""))
    inbound = Delivery(
        "message",
        str(event["user"]),
        str(event.get("channel", "")),
        Incoming(text=text),
        delivery=event_key(body),
    )
    await take_turn(SlackTurns(slack), inbound)
