"""A person's notices (nudges, alerts, digests) read in chat: the terminal channel shows the
unread ones, and each is then marked read for that person.

A notice is only ever shown to its recipient (`OutboxMessage.recipient_id`); messages to a
shared channel are not anyone's notices. Ones that no longer apply (expired, or a nudge about
something already done) are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import NoticeRead, OutboxMessage, OutboxStatus
from storage.services.nudges import why_stale
from storage.services.outbox import deliverable

SHOWN = 10


@dataclass(frozen=True)
class Unread:
    """The newest unread notices (up to `SHOWN`), and how many more are unread."""

    notices: list[OutboxMessage]
    more: int


def _unread(person_id: int, now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    read = exists().where(
        NoticeRead.outbox_id == OutboxMessage.id, NoticeRead.person_id == person_id
    )
    return (
        OutboxMessage.recipient_id == person_id,
        OutboxMessage.due_at <= now,
        OutboxMessage.status != OutboxStatus.expired,
        deliverable(),
        ~read,
    )


async def unread_notices(
    session: AsyncSession, person_id: int, *, now: dt.datetime, limit: int = SHOWN
) -> Unread:
    """This person's unread notices that still apply, newest first."""
    found: list[OutboxMessage] = []
    conditions = _unread(person_id, now)
    rows = await session.scalars(
        select(OutboxMessage)
        .where(*conditions)
        .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
        .limit(limit * 5)
    )
    stale = 0
    for row in rows:
        if len(found) == limit:
            break
        # Not yet sent and no longer applies (the check was ticked, the register came in).
        if row.status == OutboxStatus.pending and await why_stale(session, row, now):
            stale += 1
            continue
        found.append(row)
    total = await session.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions))
    return Unread(notices=found, more=max((total or 0) - len(found) - stale, 0))


async def mark_read(
    session: AsyncSession, person_id: int, notices: list[OutboxMessage], *, at: dt.datetime
) -> None:
    """These notices have been shown to this person (theirs only; twice is harmless)."""
    rows = [
        {"outbox_id": notice.id, "person_id": person_id, "read_at": at}
        for notice in notices
        if notice.recipient_id == person_id
    ]
    if rows:
        await session.execute(
            insert_for(session, NoticeRead)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["outbox_id", "person_id"])
        )
