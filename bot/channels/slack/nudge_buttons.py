"""The buttons under a nudge (Done, Snooze 1 day, Snooze 1 week, Open).

A click acts on exactly the outbox message it came with (`value` = its id), through the
scheduler's `act_on_nudge`; the nudge is then updated to say what happened, without buttons,
and a dialog to carry on with (e.g. `visit AP-7K3Q`) starts in the person's DM as if typed.
"""

from __future__ import annotations

import logging
import re
from typing import Any, cast

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError

from bot.channels.slack import blocks
from bot.channels.slack.channel import CHANNEL, SlackChannel, sender_key
from bot.channels.slack.conversation import (
    Delivery,
    SlackTurns,
    dm_where,
    respond,
    tells_when_database_gone,
)
from bot.channels.slack.dedupe import action_key, first_time
from bot.channels.slack.identity import person_for
from bot.channels.turn import answer
from dialogs import wording as dialog_wording
from dialogs.runner import Incoming
from storage.db import transaction
from storage.services.audit import Change

log = logging.getLogger(__name__)

ACTIONS = ("done", "snooze_day", "snooze_week", "open")


def register(slack: SlackChannel) -> None:
    """Listen for `nudge_*` actions."""

    async def on_nudge(ack: AsyncAck, body: dict[str, Any]) -> None:
        slack.work.spawn(handle_nudge(slack, body), name="nudge", key=sender_key(body))
        await ack()

    slack.app.action(re.compile(f"^{blocks.NUDGE}"))(on_nudge)


@tells_when_database_gone
async def handle_nudge(slack: SlackChannel, body: dict[str, Any]) -> None:
    """One nudge button, after the acknowledgement; a second click is dropped."""
    if not await first_time(slack, action_key(body)):
        return
    user_id = str((body.get("user") or {}).get("id", ""))
    action: dict[str, Any] = body["actions"][0]
    what = str(action.get("action_id", "")).removeprefix(blocks.NUDGE)
    value = str(action.get("value", ""))
    person = await person_for(slack, user_id)
    if person is None:
        if body.get("response_url"):
            await respond(str(body["response_url"]), dialog_wording.NO_ACCESS)
        return
    if what not in ACTIONS or not value.isdigit():
        return
    # Imported here: the scheduler owns the nudges service.
    from storage.services.nudges import NudgeAction, act_on_nudge

    async with transaction(slack.runtime.sessions) as session:
        change = Change(person_id=person.id, channel=CHANNEL, at=slack.runtime.clock.now())
        outcome = await act_on_nudge(
            session, change, outbox_id=int(value), action=cast(NudgeAction, what)
        )
    container: dict[str, Any] = body.get("container") or {}
    channel_id = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    original = list((body.get("message") or {}).get("blocks") or [])
    kept = [b for b in original if b.get("type") == "section"]
    try:
        await slack.client.chat_update(
            channel=channel_id,
            ts=str(container.get("message_ts", "")),
            text=blocks.escape(outcome.text),
            blocks=[*kept, blocks.note(outcome.text)],
        )
    except SlackApiError as error:  # the action is saved; a stale nudge is only cosmetic
        log.warning("slack: could not update the nudge: %s", error.response.get("error"))
    if outcome.start_command:
        where = await dm_where(slack, user_id)
        said = Incoming(text=outcome.start_command)
        await answer(SlackTurns(slack), Delivery("start", user_id, "", said), person, where)
