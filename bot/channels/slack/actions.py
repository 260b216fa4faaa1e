"""Clicks on a question's buttons and pickers: the answer goes to the dialog, and the clicked
message is updated to show the answer without its buttons. A second click on the same button
is dropped (and the runner's prompt_id refuses an answer to an older question anyway).

A click counts only in the person's DM with the bot or in a linked channel. Anywhere else (a
channel that was unlinked while its questions were still showing) nothing is run or posted
there: the person is told, privately, to carry on in their DM."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.channels.slack import blocks, kinds
from bot.channels.slack.channel import SlackChannel, sender_key
from bot.channels.slack.conversation import Clicked, Delivery, SlackTurns
from bot.channels.slack.dedupe import action_key
from bot.channels.turn import take_turn
from dialogs.runner import Incoming


def register(slack: SlackChannel) -> None:
    """Listen for every `prompt_*` action."""

    async def on_prompt_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        # Ticking a box only changes the state: not kept (see kinds.kept_kind).
        if kinds.kept_kind(body) == kinds.PROMPT_ACTION:
            await slack.inbound.accept(kinds.PROMPT_ACTION, body, sender=sender_key(body))
        await ack()

    slack.inbound.handle(kinds.PROMPT_ACTION, lambda body: handle_prompt_action(slack, body))

    slack.app.action(re.compile(r"^prompt_"))(on_prompt_action)


def _dict(value: object) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (a malformed click is answered, not
    an error)."""
    return value if isinstance(value, dict) else {}


def _label(value: object) -> str:
    """The text of a Slack text object (`{"type": "plain_text", "text": ...}`), or ""."""
    return str(_dict(value).get("text", ""))


def _picked_values(body: dict[str, Any], block_id: str) -> tuple[list[str], list[str]]:
    """Values and labels ticked in a question's checkboxes (from the message state)."""
    values = (body.get("state") or {}).get("values") or {}
    element = (values.get(block_id) or {}).get(blocks.CHECKS) or {}
    options = element.get("selected_options") or []
    return [str(o["value"]) for o in options], [str(o["text"]["text"]) for o in options]


def read_answer(body: dict[str, Any]) -> tuple[Incoming, str]:
    """The answer a click carries (as the runner reads it), and how to show it."""
    action: dict[str, Any] = body["actions"][0]
    action_id = str(action.get("action_id", ""))
    prompt_id = str(action.get("block_id", "")).removesuffix(blocks.MORE_SUFFIX)
    label = _label(action.get("text"))
    if action_id.startswith(blocks.WORD):
        return Incoming(text=str(action.get("value", "")), prompt_id=prompt_id), label
    if action_id.startswith(blocks.CHOICE):
        return Incoming(value=str(action.get("value", "")), prompt_id=prompt_id), label
    if action_id == blocks.SELECT:
        option = _dict(action.get("selected_option"))
        shown = _label(option.get("text"))
        return Incoming(value=str(option.get("value", "")), prompt_id=prompt_id), shown
    if action_id == blocks.DATE:
        picked = str(action.get("selected_date") or "")
        return Incoming(value=picked, prompt_id=prompt_id), blocks.show_date(picked)
    if action_id == blocks.TIME:
        picked = str(action.get("selected_time") or "")
        return Incoming(value=picked, prompt_id=prompt_id), picked
    if action_id == blocks.SUBMIT:
        values, labels = _picked_values(body, prompt_id)
        return Incoming(value=values, prompt_id=prompt_id), ", ".join(labels) or "none"
    if action_id == blocks.TEXT:
        typed = str(action.get("value") or "")
        return Incoming(text=typed, prompt_id=prompt_id), typed[:200]
    return Incoming(text="", prompt_id=prompt_id), label


async def handle_prompt_action(slack: SlackChannel, body: dict[str, Any]) -> None:
    """One click, after the acknowledgement."""
    user_id = str((body.get("user") or {}).get("id", ""))
    container: dict[str, Any] = body.get("container") or {}
    channel_id = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    incoming, shown = read_answer(body)
    message: dict[str, Any] = body.get("message") or {}
    clicked = Clicked(
        channel_id=channel_id,
        ts=container.get("message_ts"),
        ephemeral=bool(container.get("is_ephemeral")),
        response_url=body.get("response_url"),
        answer=shown,
        original_blocks=list(message.get("blocks") or []),
    )
    inbound = Delivery(
        "action",
        user_id,
        channel_id,
        incoming,
        delivery=action_key(body),
        response_url=body.get("response_url"),
        clicked=clicked,
    )
    await take_turn(SlackTurns(slack), inbound)
