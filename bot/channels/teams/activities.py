"""Reading Bot Framework activities (wire JSON): where a message came from, what it says.

Pure functions, no botbuilder: the mention of the bot is stripped from channel and group-chat
messages, a card's submit is turned into the runner's `Incoming`, and each person gets their own
conversation key in each chat (`teams:<conversation id>:<aad object id>`).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from dialogs.runner import Incoming

PLATFORM = "teams"
KEY_LIMIT = 200  # DialogState.conversation's length
_AT_TAG = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Conversation:
    """The conversation an activity belongs to (read from the activity; the turn pipeline's
    neutral `bot.channels.turn.Where` is made from it)."""

    conversation_id: str
    kind: str  # personal, groupChat or channel
    channel_id: str | None  # a team channel's id (without the thread's ;messageid=...)
    team_id: str | None

    @classmethod
    def of(cls, activity: dict[str, Any]) -> Conversation:
        conversation = activity.get("conversation") or {}
        data = activity.get("channelData") or {}
        conversation_id = str(conversation.get("id") or "")
        kind = conversation.get("conversationType") or (
            "groupChat" if conversation.get("isGroup") else "personal"
        )
        channel = (data.get("channel") or {}).get("id")
        team = (data.get("team") or {}).get("id")
        if kind == "channel" and not channel:
            channel = conversation_id.split(";", 1)[0]
        return cls(conversation_id, str(kind), channel, team)

    @property
    def personal(self) -> bool:
        return self.kind == "personal"

    @property
    def shared(self) -> bool:
        """Others can read it (a channel, a group chat): pupils by reference only."""
        return not self.personal

    @property
    def shared_id(self) -> str:
        """The id a shared conversation is linked by: the channel's, or the group chat's."""
        return self.channel_id or self.conversation_id.split(";", 1)[0]

    def key(self, user: str) -> str:
        """This person's conversation key here (hashed when Teams' ids are too long)."""
        key = f"{PLATFORM}:{self.conversation_id}:{user}"
        if len(key) <= KEY_LIMIT:
            return key
        digest = hashlib.sha256(self.conversation_id.encode()).hexdigest()[:40]
        return f"{PLATFORM}:h{digest}:{user}"[:KEY_LIMIT]


def sender(activity: dict[str, Any]) -> tuple[str, str | None, str]:
    """The sender's Teams user id, AAD object id (if given) and display name."""
    account = activity.get("from") or {}
    return str(account.get("id") or ""), account.get("aadObjectId"), str(account.get("name") or "")


def strip_mention(activity: dict[str, Any]) -> str:
    """The message text without the @mention of the bot (and without Teams' HTML)."""
    text = str(activity.get("text") or "")
    bot_id = (activity.get("recipient") or {}).get("id")
    for entity in activity.get("entities") or []:
        mentioned = entity.get("mentioned") or {}
        if entity.get("type") == "mention" and mentioned.get("id") == bot_id and entity.get("text"):
            text = text.replace(str(entity["text"]), " ")
    if text.lstrip().lower().startswith("<at"):
        text = _AT_TAG.sub(" ", text, count=1)
    text = html.unescape(_TAGS.sub(" ", text)).replace("\xa0", " ")
    return " ".join(text.split())


def card_value(activity: dict[str, Any]) -> dict[str, Any] | None:
    """The data of a card's button (with its inputs), if this message is a card submit."""
    value = activity.get("value")
    return value if isinstance(value, dict) and value else None


def incoming(activity: dict[str, Any]) -> Incoming:
    """What the runner is told: typed text, or a card's answer with its prompt id."""
    value = card_value(activity)
    if value is None:
        return Incoming(text=strip_mention(activity))
    prompt_id = value.get("prompt_id")
    prompt_id = str(prompt_id) if prompt_id else None
    command = value.get("command")
    if command:
        return Incoming(text=str(command), prompt_id=prompt_id)
    answer = value.get("answer", "")
    if isinstance(answer, list):
        return Incoming(value=[str(a) for a in answer], prompt_id=prompt_id)
    answer = str(answer)
    if value.get("kind") == "multichoice" and answer:  # a multi-select ChoiceSet sends "a,b"
        return Incoming(value=[a for a in answer.split(",") if a], prompt_id=prompt_id)
    return Incoming(value=answer, prompt_id=prompt_id)


def channel_id_from(text: str) -> str:
    """A team channel's id from what an admin pastes: the id itself, or Teams' "Get link to
    channel" address (https://teams.microsoft.com/l/channel/19%3a...%40thread.tacv2/Name?...)."""
    text = text.strip()
    match = re.search(r"/l/channel/([^/?#]+)", text)
    return unquote(match[1]) if match else text
