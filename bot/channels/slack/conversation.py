"""Slack's side of the turn pipeline (`bot/channels/turn.py`): `Delivery` is a request read,
`SlackTurns` says who and where, closes the question just answered and posts the replies.

A dialog runs in the person's direct message with the bot (conversation `slack:<user>`), or,
for the dialogs allowed there, in a provider's shared channel (`slack:<channel>:<user>`). In a
shared channel every reply goes only to the person asking (ephemeral), except the closing
confirmation of `absent` and `present`, which names pupils by placement reference only and is
posted for the channel to see.

In a DM, the last question asked is remembered (its message ts, in the person's conversation
reference), so that when it is answered by typing, its buttons are taken away too: at any time
at most one message in the DM has buttons that count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.inbound import TurnOpening
from bot.channels.nudge_actions import Pressed, press
from bot.channels.slack import blocks
from bot.channels.slack import wording as slack_wording
from bot.channels.slack.channel import CHANNEL, PLATFORM, SlackChannel
from bot.channels.slack.identity import person_for
from bot.channels.turn import Answered, Known, Where, linked_place
from dialogs import wording
from dialogs.prompts import Done, ErrorReply, Message, Prompt, Reply
from dialogs.runner import Incoming
from storage.db import DATABASE_UNREACHABLE, single_statement, transaction
from storage.models import Person
from storage.services.conversation_refs import person_ref, replace_person_ref, save_person_ref
from storage.services.shared_channels import find_channel

log = logging.getLogger(__name__)

# Dialogs whose closing confirmation is written for a shared channel to read.
POSTED_IN_SHARED = frozenset({"absent", "present"})
OPEN_PROMPT = "open_prompt"
# What `SlackTurns.recognise` keeps from the turn's transaction: the person's stored reference
# (its open question), or None when they have none yet.
STORED_REFERENCE = "reference"
RETRY_REPLY_AFTER = 1.0  # seconds before a reply Slack failed to take is posted again


def is_direct_message(channel_id: str) -> bool:
    """Whether Slack says this conversation is a direct message (an IM: its id starts with D).
    The only place, besides a linked channel, where the bot may say anything about a pupil."""
    return channel_id.startswith("D")


def where_in(user_id: str, channel_id: str, *, place: int | None = None) -> Where:
    """The person's DM (`channel_id` is the IM), or a shared channel linked to `place`."""
    if place is not None:
        conversation = f"{PLATFORM}:{channel_id}:{user_id}"
        return Where(PLATFORM, conversation, channel_id, user_id, shared=True, place=place)
    return Where(PLATFORM, f"{PLATFORM}:{user_id}", channel_id, user_id)


@dataclass(frozen=True)
class Clicked:
    """The message a button (or picker) was used on, and what was picked, to show it answered."""

    channel_id: str
    ts: str | None
    ephemeral: bool
    response_url: str | None
    answer: str
    original_blocks: list[dict[str, Any]] = field(default_factory=list)


async def dm_where(slack: SlackChannel, user_id: str) -> Where:
    """The person's direct message with the bot (opened if it never was)."""
    response = await slack.client.conversations_open(users=user_id)
    channel: dict[str, Any] = response["channel"]
    return where_in(user_id, str(channel["id"]))


def unescape(text: str) -> str:
    """Slack sends `&`, `<` and `>` typed by a person as entities; store what they typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def post_replies(slack: SlackChannel, where: Where, replies: Sequence[Reply]) -> list[str]:
    """Post replies: in the DM, or in a shared channel (only to the person, except a
    reference-only confirmation). Returns the ts of each message posted. Anywhere that is
    neither (a channel that is not, or no longer, linked) nothing is posted for others to see:
    every reply goes only to the person."""
    posted: list[str] = []
    private = not where.shared and is_direct_message(where.address)
    if not where.shared and not private:
        log.warning("slack: a reply meant for a DM was headed elsewhere; sent only to the person")
    for group in blocks.group_replies(replies):
        message_blocks = blocks.message_blocks(group, shared=where.shared)
        text = blocks.fallback_text(group)
        public = (
            where.shared and isinstance(group[-1], Done) and group[-1].dialog in POSTED_IN_SHARED
        )
        if private or public:
            response = await _once_more_if_slack_failed(
                slack,
                slack.client.chat_postMessage,
                channel=where.address,
                text=text,
                blocks=message_blocks,
            )
            posted.append(str(response.get("ts", "")))
        else:
            response = await _once_more_if_slack_failed(
                slack,
                slack.client.chat_postEphemeral,
                channel=where.address,
                user=where.user,
                text=text,
                blocks=message_blocks,
            )
            posted.append(str(response.get("message_ts", "")))
        done = group[-1]
        if isinstance(done, Done) and done.files and private:
            await upload_files(slack, where, done)
    return posted


async def _once_more_if_slack_failed(
    slack: SlackChannel,
    post: Callable[..., Coroutine[Any, Any, AsyncSlackResponse]],
    **message: Any,
) -> AsyncSlackResponse:
    """Post a reply; if Slack answered 5xx or could not be reached, try once more a second
    later. The person's answer is already saved, so a lost reply would leave them without the
    next question (and their next message would answer a question they never saw); a rare
    duplicate is the lesser harm. (A 429 is waited out by the client itself.)"""
    try:
        return await post(**message)
    except SlackApiError as error:
        if error.response.status_code < 500:
            raise
        log.warning("slack: a reply got HTTP %s; trying once more", error.response.status_code)
    except (aiohttp.ClientError, TimeoutError) as error:
        log.warning(
            "slack: a reply could not be posted (%s); trying once more", type(error).__name__
        )
    await slack.rate_limits.sleep(RETRY_REPLY_AFTER)
    return await post(**message)


async def upload_files(slack: SlackChannel, where: Where, done: Done) -> None:
    """A report's or an export's files, uploaded into the person's DM (never a shared channel)."""
    for attachment in done.files:
        await slack.client.files_upload_v2(
            channel=where.address,
            file=attachment.content,
            filename=attachment.filename,
            title=attachment.filename,
        )


async def respond(response_url: str, text: str) -> None:
    """Answer a slash command or a click privately, through its response_url."""
    await AsyncWebhookClient(response_url).send(
        text=blocks.escape(text), response_type="ephemeral", replace_original=False
    )


async def close_clicked(slack: SlackChannel, clicked: Clicked) -> None:
    """Show the answer on the message that was clicked, without its buttons."""
    closed = blocks.answered_blocks(clicked.original_blocks, clicked.answer)
    text = blocks.escape(slack_wording.ANSWERED.format(answer=clicked.answer))
    try:
        if clicked.ephemeral or clicked.ts is None:
            if clicked.response_url:
                await AsyncWebhookClient(clicked.response_url).send(
                    text=text, blocks=closed, replace_original=True
                )
        else:
            await slack.client.chat_update(
                channel=clicked.channel_id, ts=clicked.ts, text=text, blocks=closed
            )
    except SlackApiError as error:  # the answer is saved; a stale message is only cosmetic
        log.warning("slack: could not update the answered message: %s", error.response.get("error"))


async def close_nudge(slack: SlackChannel, clicked: Clicked, outcome: str) -> None:
    """Say on the nudge what its button did, without its buttons (its words stay)."""
    kept = [b for b in clicked.original_blocks if b.get("type") == "section"]
    try:
        await slack.client.chat_update(
            channel=clicked.channel_id,
            ts=str(clicked.ts or ""),
            text=blocks.escape(outcome),
            blocks=[*kept, blocks.note(outcome)],
        )
    except SlackApiError as error:  # the action is saved; a stale nudge is only cosmetic
        log.warning("slack: could not update the nudge: %s", error.response.get("error"))


async def _close_open_prompt(
    slack: SlackChannel,
    person_id: int,
    replies: Sequence[Reply],
    *,
    typed: str | None,
    clicked_ts: str | None,
    kept: dict[str, Any],
) -> None:
    """Take the buttons off the last question asked in the DM, now that the turn moved on.
    The question is as the turn's transaction read it (`kept`), or else read now."""
    if STORED_REFERENCE in kept:
        open_prompt = (kept[STORED_REFERENCE] or {}).get(OPEN_PROMPT)
    else:
        try:
            async with transaction(slack.runtime.sessions) as session:
                ref = await person_ref(session, PLATFORM, person_id)
                open_prompt = (ref.reference or {}).get(OPEN_PROMPT) if ref else None
        except DATABASE_UNREACHABLE:  # only cosmetic: the replies (saying so) still go out
            log.warning("slack: database unreachable; the last question keeps its buttons")
            return
    if not open_prompt or not replies or open_prompt.get("ts") == clicked_ts:
        return
    asked_again = any(
        isinstance(r, Prompt) and r.prompt_id == open_prompt.get("prompt_id") for r in replies
    )
    if asked_again:
        note = slack_wording.ASKED_AGAIN
    elif typed is not None:
        note = slack_wording.ANSWERED.format(answer=typed[:200])
    else:
        note = slack_wording.CLOSED
    try:
        await slack.client.chat_update(
            channel=open_prompt["channel"],
            ts=open_prompt["ts"],
            text=blocks.escape(note),
            blocks=blocks.closed_blocks(str(open_prompt.get("text", "")), note),
        )
    except SlackApiError as error:
        log.warning("slack: could not close the last question: %s", error.response.get("error"))


async def _remember_open_prompt(
    slack: SlackChannel,
    person_id: int,
    where: Where,
    replies: Sequence[Reply],
    posted: Sequence[str],
    kept: dict[str, Any],
) -> None:
    """Remember the question just posted (its ts), to take its buttons off later. When the
    turn's transaction read the stored reference (`kept`), one UPDATE writes it back, and
    nothing is written when nothing changed."""
    last = replies[-1] if replies else None
    value: dict[str, Any] | None = None
    if isinstance(last, Prompt) and posted:
        value = {
            "channel": where.address,
            "ts": posted[-1],
            "prompt_id": last.prompt_id,
            "text": last.text[:2900],
        }
    stored = kept.get(STORED_REFERENCE)
    if stored is not None and stored.get(OPEN_PROMPT) == value:
        return
    sessions = slack.runtime.sessions
    at = slack.runtime.clock.now()
    try:
        if stored is not None:  # one UPDATE, committed by itself (no transaction around it)
            async with single_statement(sessions) as session:
                if await replace_person_ref(
                    session,
                    platform=PLATFORM,
                    person_id=person_id,
                    conversation_id=where.address,
                    reference={**stored, OPEN_PROMPT: value},
                    at=at,
                ):
                    return
        async with transaction(sessions) as session:
            await save_person_ref(
                session,
                platform=PLATFORM,
                person_id=person_id,
                conversation_id=where.address,
                reference={OPEN_PROMPT: value},
                at=at,
            )
    except DATABASE_UNREACHABLE:  # the replies are posted; closing them later is cosmetic
        log.warning("slack: database unreachable; not remembering the question just asked")


@dataclass(frozen=True)
class Delivery:
    """One request from Slack, read: who, where from, what they said, the key it is seen once
    by (`turn.take_turn` drops a repeat), and what was clicked.

    `kind` says where its turn runs: a `message` in the DM it was typed in; an `action` (a
    click) where it was clicked, if that is the DM or a linked channel; a `command` (`/ap`) in a
    linked channel, or else the DM; `start` (a home button, a dialog a nudge button opens) in the
    DM. `intercept` answers what is not a dialog turn (`/ap link ...`) before any of that, and
    `nudge` (a nudge's button, `clicked` its message) is pressed there
    (`bot.channels.nudge_actions`)."""

    kind: str
    user_id: str
    channel_id: str
    said: Incoming
    delivery: str | None = None
    response_url: str | None = None
    clicked: Clicked | None = None
    intercept: Callable[[Person], Coroutine[Any, Any, bool]] | None = None
    nudge: Pressed | None = None


class SlackTurns:
    """Slack's side of the turn pipeline (`bot.channels.turn.Platform`, with the nudge buttons'
    `bot.channels.nudge_actions.NudgeButtons`)."""

    platform = PLATFORM
    channel = CHANNEL
    network_errors: tuple[type[BaseException], ...] = (aiohttp.ClientError,)

    def __init__(self, slack: SlackChannel) -> None:
        self.slack = slack
        self.runner = slack.runner
        self.sessions = slack.runtime.sessions
        self.clock = slack.runtime.clock

    async def recognise(
        self, session: AsyncSession, inbound: Delivery, opening: TurnOpening
    ) -> Known | None:
        """A typed DM, or a click in the DM or a linked channel, from someone linked already;
        with their stored reference (the question left open in the DM). Anything else (a
        command, a first contact, a click where nothing runs) takes the long way."""
        if inbound.intercept is not None or inbound.kind not in ("message", "action"):
            return None
        if self.slack.installations is not None:
            return None  # many workspaces: the sender's workspace mapping is checked (identify)
        dm = where_in(inbound.user_id, inbound.channel_id)
        # Who, their reference and their dialog's state in the DM: one statement.
        found = await opening.read(session, inbound.user_id, conversation=dm.conversation)
        if found is None:
            return None
        where = dm
        if inbound.kind == "action":
            linked = await find_channel(session, PLATFORM, inbound.channel_id)
            if linked is not None:
                where = where_in(inbound.user_id, inbound.channel_id, place=linked.organisation_id)
            elif not is_direct_message(inbound.channel_id):
                return None
        kept: dict[str, Any] = {}
        if where.shared:  # a linked channel's conversation: its state is read by the runner
            return Known(found.person, where, kept)
        kept[STORED_REFERENCE] = dict(found.ref.reference) if found.ref is not None else None
        return Known(found.person, where, kept, state=found.state)

    async def identify(self, inbound: Delivery) -> Person | str:
        person = await person_for(self.slack, inbound.user_id)
        return person if person is not None else wording.NO_ACCESS

    async def intercept(self, inbound: Delivery, person: Person) -> bool:
        if inbound.nudge is not None:
            await press(self, inbound, person, inbound.nudge)
            return True
        return inbound.intercept is not None and await inbound.intercept(person)

    async def locate(self, inbound: Delivery, person: Person) -> Where | None:
        if inbound.kind == "message":
            return where_in(inbound.user_id, inbound.channel_id)
        if inbound.kind == "start":
            return await dm_where(self.slack, inbound.user_id)
        place = await linked_place(self.sessions, PLATFORM, inbound.channel_id)
        if place is not None:
            return where_in(inbound.user_id, inbound.channel_id, place=place)
        if inbound.kind == "command":
            return await dm_where(self.slack, inbound.user_id)
        if is_direct_message(inbound.channel_id):
            return where_in(inbound.user_id, inbound.channel_id)
        if inbound.response_url:  # a click in a channel no longer linked: nothing runs there
            await respond(inbound.response_url, slack_wording.NOT_HERE_ANY_MORE)
        return None

    async def update(self, turn: Answered[Delivery]) -> None:
        clicked = turn.inbound.clicked
        if clicked is not None:
            await close_clicked(self.slack, clicked)
        if not turn.where.shared:
            said = turn.inbound.said
            typed = said.text if said.value is None and clicked is None else None
            await _close_open_prompt(
                self.slack,
                turn.person.id,
                turn.replies,
                typed=typed,
                clicked_ts=clicked.ts if clicked else None,
                kept=turn.kept,
            )

    async def send(self, turn: Answered[Delivery]) -> list[str]:
        return await post_replies(self.slack, turn.where, turn.replies)

    async def finish(self, turn: Answered[Delivery], posted: Sequence[str]) -> None:
        inbound, where = turn.inbound, turn.where
        if not where.shared and turn.replies:
            await _remember_open_prompt(
                self.slack, turn.person.id, where, turn.replies, posted, turn.kept
            )
        if inbound.kind == "command" and not where.shared and inbound.response_url:
            if inbound.channel_id != where.address:
                await respond(inbound.response_url, slack_wording.REPLIED_IN_DM)

    async def close_nudge(self, inbound: Delivery, outcome: str) -> None:
        if inbound.clicked is not None:
            await close_nudge(self.slack, inbound.clicked, outcome)

    def opened(self, inbound: Delivery, said: Incoming) -> Delivery:
        return Delivery("start", inbound.user_id, "", said)

    async def tell(self, inbound: Delivery, reply: Message | ErrorReply) -> None:
        """In the DM typed in, or privately where they clicked or typed `/ap`."""
        try:
            if inbound.kind == "message":
                await post_replies(
                    self.slack, where_in(inbound.user_id, inbound.channel_id), [reply]
                )
            elif inbound.response_url:
                await respond(inbound.response_url, reply.text)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("slack: could not tell the person either: %s", error)
