"""Conversation references: where to send a proactive Teams message, kept in the database.

A reference (the Bot Framework's `ConversationReference`, with its `serviceUrl`) is saved for a
person from their personal chat and for a linked team channel from any message in it, refreshed
on every incoming activity and on installation, so the scheduler can message them later, from
any bot instance. `target` is `person:<id>` or `channel:<chat channel id>`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.teams.activities import PLATFORM
from storage.models import ChatChannel, ConversationRef
from storage.services.conversation_refs import StoredRef, person_ref, save_person_ref


class NoReference(LookupError):
    """Nobody has talked to the bot from there yet, so Teams can't be messaged proactively."""


def for_conversation(reference: dict[str, Any], conversation_id: str) -> dict[str, Any]:
    """The reference pointed at `conversation_id` (a channel rather than one thread of it)."""
    conversation = dict(reference.get("conversation") or {})
    conversation["id"] = conversation_id
    return {**reference, "conversation": conversation, "activityId": None}


async def save_for_person(
    session: AsyncSession,
    *,
    person_id: int,
    reference: dict[str, Any],
    at: dt.datetime,
    stored: StoredRef | None = None,
) -> None:
    """Remember how to reach a person in their personal chat with the bot (`stored`: their
    reference as this transaction read it already)."""
    conversation_id = str((reference.get("conversation") or {}).get("id") or "")
    await save_person_ref(
        session,
        platform=PLATFORM,
        person_id=person_id,
        conversation_id=conversation_id,
        reference=reference,
        at=at,
        stored=stored,
    )


async def save_for_channel(
    session: AsyncSession, *, channel: ChatChannel, reference: dict[str, Any], at: dt.datetime
) -> ConversationRef:
    """Remember how to post into a linked shared channel (a new post, not a reply)."""
    reference = for_conversation(reference, channel.external_id)
    target = f"channel:{channel.id}"
    ref = await session.scalar(
        select(ConversationRef).where(
            ConversationRef.platform == PLATFORM, ConversationRef.target == target
        )
    )
    if ref is None:
        ref = ConversationRef(platform=PLATFORM, target=target, channel_id=channel.id)
        session.add(ref)
    elif ref.conversation_id == channel.external_id and ref.reference == reference:
        return ref  # unchanged: nothing written
    ref.conversation_id = channel.external_id
    ref.reference = reference
    ref.updated_at = at
    await session.flush()
    return ref


async def for_person(session: AsyncSession, person_id: int) -> dict[str, Any] | None:
    """A person's stored reference, if they have talked to the bot in Teams."""
    ref = await person_ref(session, PLATFORM, person_id)
    return dict(ref.reference) if ref is not None and ref.reference else None


async def for_channel(session: AsyncSession, external_id: str) -> dict[str, Any] | None:
    """A linked Teams channel's stored reference, by the channel's Teams id."""
    ref = await session.scalar(
        select(ConversationRef)
        .join(ChatChannel, ChatChannel.id == ConversationRef.channel_id)
        .where(
            ConversationRef.platform == PLATFORM,
            ChatChannel.platform == PLATFORM,
            ChatChannel.external_id == external_id,
        )
    )
    return dict(ref.reference) if ref is not None and ref.reference else None
