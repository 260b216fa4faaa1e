"""The App Home tab: what is due or overdue for the person, their active placements, and
buttons that start the common dialogs in their DM with the bot."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.channels.slack import blocks, kinds, wording
from bot.channels.slack.channel import SlackChannel, in_its_workspace, sender_key
from bot.channels.slack.conversation import Delivery, SlackTurns
from bot.channels.slack.dedupe import request_key
from bot.channels.slack.identity import person_for
from bot.channels.turn import take_turn
from dialogs import wording as dialog_wording
from dialogs.commands import find_dialog
from dialogs.common import placement_line
from dialogs.runner import Incoming
from dialogs.status import status_text
from storage.access import placements_query
from storage.clock import london_today
from storage.db import transaction
from storage.models import Person
from storage.services.my_status import my_status

MAX_PLACEMENTS = 15


def register(slack: SlackChannel) -> None:
    """Publish the home tab when it is opened; start dialogs from its buttons."""

    async def on_home_opened(ack: AsyncAck, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if event.get("tab", "home") == "home":
            user_id = str(event.get("user", ""))
            slack.work.spawn(
                in_its_workspace(slack, body, lambda: publish_home(slack, user_id)), name="home"
            )
        await ack()

    async def on_home_start(ack: AsyncAck, body: dict[str, Any]) -> None:
        if kinds.kept_kind(body) == kinds.HOME_START:
            await slack.inbound.accept(kinds.HOME_START, body, sender=sender_key(body))
        await ack()

    slack.inbound.handle(kinds.HOME_START, lambda body: handle_home_start(slack, body))

    slack.app.event("app_home_opened")(on_home_opened)
    slack.app.action(re.compile(f"^{blocks.HOME_START}"))(on_home_start)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": blocks.escape(text)[:3000]}}


async def home_blocks(slack: SlackChannel, person: Person) -> list[dict[str, Any]]:
    """The home tab's blocks for one person (private to them, so pupils are named)."""
    async with transaction(slack.runtime.sessions) as session:
        today = london_today(slack.runtime.clock)
        due = status_text(await my_status(session, person, today=today), shared=False)
        placements = list((await session.scalars(placements_query(person))).unique())
        lines = [placement_line(p, shared=False) for p in placements[:MAX_PLACEMENTS]]
    view: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": wording.HOME_TITLE}},
        _section(wording.HOME_HELLO.format(first_name=person.name.split()[0])),
        _section(due),
        {"type": "divider"},
        _section(wording.HOME_PLACEMENTS),
    ]
    view.append(_section("\n".join(f"• {line}" for line in lines) or wording.HOME_NO_PLACEMENTS))
    if len(placements) > MAX_PLACEMENTS:
        more = wording.HOME_MORE_PLACEMENTS.format(count=len(placements) - MAX_PLACEMENTS)
        view.append(_section(more))
    buttons = []
    for word, label in wording.HOME_BUTTONS.items():
        dialog = find_dialog(word)
        if dialog is not None and person.role in dialog.roles:
            buttons.append(
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": label},
                    "value": word,
                    "action_id": f"{blocks.HOME_START}_{word}",
                }
            )
    view += [{"type": "divider"}, _section(wording.HOME_START)]
    if buttons:
        view.append({"type": "actions", "block_id": "home_start", "elements": buttons[:25]})
    return view


async def publish_home(slack: SlackChannel, user_id: str) -> None:
    """Publish the person's home tab (the access message for someone we don't know)."""
    person = await person_for(slack, user_id)
    if person is None:
        view_blocks = [_section(dialog_wording.NO_ACCESS)]
    else:
        view_blocks = await home_blocks(slack, person)
    await slack.client.views_publish(user_id=user_id, view={"type": "home", "blocks": view_blocks})


async def handle_home_start(slack: SlackChannel, body: dict[str, Any]) -> None:
    """A home button: start that dialog in the person's DM. (Two clicks are two dialogs:
    starting the same dialog twice is a thing people mean to do; only the same request sent
    again, with the same trigger_id, is dropped.)"""
    key = request_key(body)
    if key is None:
        return
    user_id = str((body.get("user") or {}).get("id", ""))
    said = Incoming(text=str((body.get("actions") or [{}])[0].get("value", "help")))
    # Someone unknown is not told here: their home tab already says how to get access.
    await take_turn(SlackTurns(slack), Delivery("start", user_id, "", said, delivery=key))
