"""Files held for a person until they accept them (Teams asks before a bot sends a file)."""

from __future__ import annotations

import base64
import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PendingFile

# A file not accepted within a day is dropped: the person can ask for it again.
KEEP_FOR = dt.timedelta(days=1)


async def hold(
    session: AsyncSession,
    *,
    person_id: int,
    filename: str,
    media_type: str,
    content: bytes,
    at: dt.datetime,
) -> PendingFile:
    """Keep a file for the person (and drop any older than a day)."""
    await session.execute(delete(PendingFile).where(PendingFile.created_at < at - KEEP_FOR))
    held = PendingFile(
        person_id=person_id,
        filename=filename,
        media_type=media_type,
        content=base64.b64encode(content).decode(),
        created_at=at,
    )
    session.add(held)
    await session.flush()
    return held


async def find(session: AsyncSession, *, file_id: int, person_id: int) -> PendingFile | None:
    """The held file, if it is still there and it is this person's."""
    return await session.scalar(
        select(PendingFile).where(PendingFile.id == file_id, PendingFile.person_id == person_id)
    )


def content_of(held: PendingFile) -> bytes:
    return base64.b64decode(held.content)
