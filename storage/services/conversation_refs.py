"""A person's conversation reference on a platform (their DM or personal chat): where to reach
them, and what the channel keeps about it (e.g. the open question's message)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import ConversationRef


@dataclass(frozen=True)
class StoredRef:
    """A person's stored conversation reference on a platform, as a turn read it (its columns,
    not an ORM object: `storage.services.turn_reads`)."""

    conversation_id: str
    reference: dict[str, Any]


async def person_ref(
    session: AsyncSession, platform: str, person_id: int
) -> ConversationRef | None:
    """A person's stored conversation reference on a platform (their DM), if any."""
    return await session.scalar(
        select(ConversationRef).where(
            ConversationRef.platform == platform,
            ConversationRef.target == f"person:{person_id}",
        )
    )


async def save_person_ref(
    session: AsyncSession,
    *,
    platform: str,
    person_id: int,
    conversation_id: str,
    reference: dict[str, Any],
    at: dt.datetime,
    stored: StoredRef | None = None,
) -> None:
    """Create or update a person's conversation reference, merging `reference` into what is
    there (other keys are kept). `stored`: the reference as this transaction read it already
    (not read again; a change is then one UPDATE). Nothing is written when nothing changes (a
    chat turn keeps the same reference turn after turn: `updated_at` is when it last changed)."""
    if stored is not None:
        merged = {**stored.reference, **reference}
        if stored.conversation_id == conversation_id and merged == stored.reference:
            return
        if await replace_person_ref(
            session,
            platform=platform,
            person_id=person_id,
            conversation_id=conversation_id,
            reference=merged,
            at=at,
        ):
            return
    ref = await person_ref(session, platform, person_id)
    if ref is not None:
        merged = {**(ref.reference or {}), **reference}
        if ref.conversation_id == conversation_id and merged == ref.reference:
            return
    if ref is None:
        # Two first messages at once may both get here: insert if absent, then read it back.
        await session.execute(
            insert_for(session, ConversationRef)
            .values(
                platform=platform,
                target=f"person:{person_id}",
                person_id=person_id,
                conversation_id=conversation_id,
                reference={},
                updated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["platform", "target"])
        )
        ref = await person_ref(session, platform, person_id)
        assert ref is not None
    ref.conversation_id = conversation_id
    ref.reference = {**(ref.reference or {}), **reference}
    ref.updated_at = at
    await session.flush()


async def replace_person_ref(
    session: AsyncSession,
    *,
    platform: str,
    person_id: int,
    conversation_id: str,
    reference: dict[str, Any],
    at: dt.datetime,
) -> bool:
    """Overwrite a person's stored reference with one UPDATE, read nowhere first (a chat turn
    read it in its own transaction a moment ago); False when they have none yet."""
    params = {
        "of_platform": platform,
        "of_target": f"person:{person_id}",
        "new_conversation": conversation_id,
        "new_reference": reference,
        "new_at": at,
    }
    result = await session.execute(_REPLACE, params)
    return bool(result.rowcount)  # type: ignore[attr-defined]


# Built once (after every chat turn in Slack), on the table: no ORM bookkeeping.
_TABLE = cast(Table, ConversationRef.__table__)
_REPLACE = (
    update(_TABLE)
    .where(_TABLE.c.platform == bindparam("of_platform"), _TABLE.c.target == bindparam("of_target"))
    .values(
        conversation_id=bindparam("new_conversation"),
        reference=bindparam("new_reference"),
        updated_at=bindparam("new_at"),
    )
)
