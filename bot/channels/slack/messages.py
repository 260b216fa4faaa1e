"""Direct messages to the bot: the same words as the terminal, and typed answers to questions."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.channels.slack.channel import SlackChannel, sender_key
from bot.channels.slack.conversation import Delivery, SlackTurns, unescape
from bot.channels.slack.dedupe import event_key
from bot.channels.turn import take_turn
from dialogs.runner import Incoming

# Message subtypes that are a person typing (anything else: edits, joins, bot posts, ignored).
TYPED = {None, "", "file_share"}


def register(slack: SlackChannel) -> None:
    """Listen for messages in the bot's DMs (`message.im`)."""

    async def on_message(ack: AsyncAck, body: dict[str, Any]) -> None:
        if is_typed_dm(body.get("event") or {}):
            await slack.inbound.accept("message", body, sender=sender_key(body))
        await ack()

    slack.inbound.handle("message", lambda body: handle_message(slack, body))
    slack.app.event("message")(on_message)


def is_typed_dm(event: dict[str, Any]) -> bool:
    """A person (not a bot) typing in a DM with the bot."""
    return (
        event.get("channel_type") == "im"
        and event.get("subtype") in TYPED
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


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
