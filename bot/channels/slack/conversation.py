"""One turn of a dialog in Slack: run it, close the question just answered, post the replies.

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

import functools
import logging
import secrets
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.channels.slack import blocks
from bot.channels.slack import wording as slack_wording
from bot.channels.slack.channel import CHANNEL, PLATFORM, SlackChannel
from dialogs import wording
from dialogs.prompts import Done, ErrorReply, Message, Prompt, Reply
from dialogs.runner import Incoming
from storage.db import DATABASE_UNREACHABLE, transaction
from storage.services.conversation_refs import person_ref, save_person_ref

log = logging.getLogger(__name__)

Handler = Callable[[SlackChannel, dict[str, Any]], Coroutine[Any, Any, None]]

# Dialogs whose closing confirmation is written for a shared channel to read.
POSTED_IN_SHARED = frozenset({"absent", "present"})
OPEN_PROMPT = "open_prompt"
RETRY_REPLY_AFTER = 1.0  # seconds before a reply Slack failed to take is posted again


def is_direct_message(channel_id: str) -> bool:
    """Whether Slack says this conversation is a direct message (an IM: its id starts with D).
    The only place, besides a linked channel, where the bot may say anything about a pupil."""
    return channel_id.startswith("D")


@dataclass(frozen=True)
class Where:
    """Where one person's conversation happens: their DM with the bot, or a shared channel
    (one linked to an organisation: `place`, whose placements alone are named there)."""

    user_id: str
    channel_id: str
    shared: bool = False
    place: int | None = None

    @property
    def conversation(self) -> str:
        if self.shared:
            return f"{PLATFORM}:{self.channel_id}:{self.user_id}"
        return f"{PLATFORM}:{self.user_id}"


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
    return Where(user_id=user_id, channel_id=str(channel["id"]))


def unescape(text: str) -> str:
    """Slack sends `&`, `<` and `>` typed by a person as entities; store what they typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def say(slack: SlackChannel, where: Where, replies: Sequence[Reply]) -> list[str]:
    """Post replies: in the DM, or in a shared channel (only to the person, except a
    reference-only confirmation). Returns the ts of each message posted. Anywhere that is
    neither (a channel that is not, or no longer, linked) nothing is posted for others to see:
    every reply goes only to the person."""
    posted: list[str] = []
    private = not where.shared and is_direct_message(where.channel_id)
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
                channel=where.channel_id,
                text=text,
                blocks=message_blocks,
            )
            posted.append(str(response.get("ts", "")))
        else:
            response = await _once_more_if_slack_failed(
                slack,
                slack.client.chat_postEphemeral,
                channel=where.channel_id,
                user=where.user_id,
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
            channel=where.channel_id,
            file=attachment.content,
            filename=attachment.filename,
            title=attachment.filename,
        )


async def respond(response_url: str, text: str) -> None:
    """Answer a slash command or a click privately, through its response_url."""
    await AsyncWebhookClient(response_url).send(
        text=blocks.escape(text), response_type="ephemeral", replace_original=False
    )


async def tell_no_access(
    slack: SlackChannel, where: Where | None, *, response_url: str | None
) -> None:
    """The polite access message, and nothing else."""
    if response_url:
        await respond(response_url, wording.NO_ACCESS)
    elif where is not None:
        await say(slack, where, [Message(text=wording.NO_ACCESS)])


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


async def _close_open_prompt(
    slack: SlackChannel,
    person_id: int,
    replies: Sequence[Reply],
    *,
    typed: str | None,
    clicked_ts: str | None,
) -> None:
    """Take the buttons off the last question asked in the DM, now that the turn moved on."""
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
    slack: SlackChannel, person_id: int, where: Where, replies: Sequence[Reply], posted: list[str]
) -> None:
    last = replies[-1] if replies else None
    value: dict[str, Any] | None = None
    if isinstance(last, Prompt) and posted:
        value = {
            "channel": where.channel_id,
            "ts": posted[-1],
            "prompt_id": last.prompt_id,
            "text": last.text[:2900],
        }
    try:
        async with transaction(slack.runtime.sessions) as session:
            await save_person_ref(
                session,
                platform=PLATFORM,
                person_id=person_id,
                conversation_id=where.channel_id,
                reference={OPEN_PROMPT: value},
                at=slack.runtime.clock.now(),
            )
    except DATABASE_UNREACHABLE:  # the replies are posted; closing them later is cosmetic
        log.warning("slack: database unreachable; not remembering the question just asked")


async def take_turn(
    slack: SlackChannel,
    person_id: int,
    where: Where,
    incoming: Incoming,
    *,
    clicked: Clicked | None = None,
) -> list[Reply]:
    """Run one turn of the person's dialog here and show the outcome in Slack."""
    replies = await slack.runner.handle(
        person_id,
        incoming,
        channel=CHANNEL,
        conversation=where.conversation,
        shared=where.shared,
        place=where.place,
    )
    if clicked is not None:
        await close_clicked(slack, clicked)
    if not where.shared:
        typed = incoming.text if incoming.value is None and clicked is None else None
        await _close_open_prompt(
            slack,
            person_id,
            replies,
            typed=typed,
            clicked_ts=clicked.ts if clicked else None,
        )
    posted = await say(slack, where, replies)
    if not where.shared and replies:
        await _remember_open_prompt(slack, person_id, where, replies, posted)
    return replies


def tells_when_database_gone(handler: Handler) -> Handler:
    """Wrap the work done for one request so that, when the database cannot be reached (before
    the dialog runner could say so itself), the person is told their answer was not saved: in
    the DM they typed in, or privately where they clicked or typed `/ap`. Without this they
    would hear nothing, and Slack does not send a request again once it was acknowledged."""

    @functools.wraps(handler)
    async def telling(slack: SlackChannel, body: dict[str, Any]) -> None:
        try:
            await handler(slack, body)
        except aiohttp.ClientError:  # an OSError too, but Slack's network, not the database
            raise
        except DATABASE_UNREACHABLE:
            ref = secrets.token_hex(3).upper()
            log.exception("slack: database unreachable (ref %s)", ref)
            await _tell_database_trouble(slack, body, wording.DATABASE_TROUBLE.format(ref=ref))

    return telling


async def _tell_database_trouble(slack: SlackChannel, body: dict[str, Any], text: str) -> None:
    event: dict[str, Any] = body.get("event") or {}
    response_url = body.get("response_url")
    try:
        if event.get("channel_type") == "im" and event.get("user") and event.get("channel"):
            where = Where(user_id=str(event["user"]), channel_id=str(event["channel"]))
            await say(slack, where, [ErrorReply(text=text)])
        elif response_url:
            await respond(str(response_url), text)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("slack: could not tell the person about it either: %s", error)
