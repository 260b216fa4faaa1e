"""Seen-before checks, so a retried delivery never stores anything twice.

Slack retries an event it thinks we missed (same `event_id`, with `X-Slack-Retry-Num`), and a
person can click the same button twice before the message updates. Each is remembered in the
`inbound_events` table (unique per platform and key) the first time; repeats are dropped.

The same keys refuse a replay: someone who captured a signed request and sends it again within
Slack's five minutes sends the same event_id, the same click, or (a slash command, which has no
event_id) the same `trigger_id`, which Slack makes anew for every command typed.
"""

from __future__ import annotations

from typing import Any

from bot.channels import turn
from bot.channels.slack.channel import PLATFORM, SlackChannel


def event_key(body: dict[str, Any]) -> str | None:
    """The key of an Events API delivery: its event_id."""
    event_id = body.get("event_id")
    return f"event:{event_id}" if event_id else None


def request_key(body: dict[str, Any]) -> str | None:
    """The key of one request a person made (a slash command, a click): its trigger_id."""
    trigger_id = body.get("trigger_id")
    return f"trigger:{trigger_id}" if trigger_id else None


def action_key(body: dict[str, Any]) -> str:
    """The key of a click: the message clicked, the action and the question (its block id)."""
    container = body.get("container") or {}
    action = (body.get("actions") or [{}])[0]
    where = container.get("message_ts") or container.get("view_id") or ""
    user = (body.get("user") or {}).get("id", "")
    return f"action:{user}:{where}:{action.get('action_id', '')}:{action.get('block_id', '')}"


async def first_time(slack: SlackChannel, key: str) -> bool:
    """True the first time this key is seen, False for every repeat."""
    return await turn.first_time(slack.runtime.sessions, slack.runtime.clock, PLATFORM, key)
