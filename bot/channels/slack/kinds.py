"""Which Slack deliveries the bot keeps (the inbound queue), and as which kind of turn.

Decided here once, from the request's body as bolt gives it to a listener, for both ways a
delivery arrives: bolt's listeners (HTTP requests bolt handles, and Socket Mode) and the lean
path in front of bolt (`app.slack_events`), so the two cannot disagree about what is kept.
"""

from __future__ import annotations

from typing import Any

from bot.channels.slack import blocks

COMMAND = "/ap"
MESSAGE = "message"
PROMPT_ACTION = "prompt action"
NUDGE = "nudge"
HOME_START = "home start"
REMOVED = "removed"  # a workspace removing the app: kept by its listener (lifecycle.py)

# Message subtypes that are a person typing (anything else: edits, joins, bot posts, ignored).
TYPED = {None, "", "file_share"}


def is_typed_dm(event: dict[str, Any]) -> bool:
    """A person (not a bot) typing in a DM with the bot."""
    return (
        event.get("channel_type") == "im"
        and event.get("subtype") in TYPED
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def kept_kind(body: dict[str, Any]) -> str | None:
    """The kind of turn a delivery is kept as (`InboundQueue.handle`), or None when it is not
    kept (answered without a turn: a box ticked, an edit, a bot's post, anything else).

    - `/ap` (bolt's `command("/ap")`; Slack's `ssl_check` is not a command),
    - a person typing in their DM (bolt's `event("message")`, then `is_typed_dm`),
    - a click on a question (`prompt_*`, not the checkboxes), a nudge's button (`nudge_*`), a
      home tab's button (`home_start*`): the first action of a `block_actions` request."""
    if "command" in body:
        if body.get("command") == COMMAND and body.get("ssl_check") != "1":
            return COMMAND
        return None
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        if isinstance(event, dict) and event.get("type") == "message" and is_typed_dm(event):
            return MESSAGE
        return None
    if kind == "block_actions":
        actions = body.get("actions")
        if not (isinstance(actions, list) and actions and isinstance(actions[0], dict)):
            return None
        action_id = actions[0].get("action_id")
        if not isinstance(action_id, str):
            return None
        if action_id.startswith("prompt_"):
            return None if action_id == blocks.CHECKS else PROMPT_ACTION
        if action_id.startswith(blocks.NUDGE):
            return NUDGE
        if action_id.startswith(blocks.HOME_START):
            return HOME_START
    return None
