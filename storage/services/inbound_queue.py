"""The inbound queue (`inbound_queue`): deliveries acknowledged to a platform whose turn has not
run yet. A row is written before the acknowledgement, claimed by a worker for a while (its
lease), and deleted once the turn has run; a worker that dies lets go when its lease expires.

One sender's rows run one at a time, oldest first: only the oldest row of each sender (its
head) can be claimed. Several workers (processes, machines) claim different senders' heads at
once; on PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two of them off the same row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, exists, func, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import QueuedTurn


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def enqueue(
    session: AsyncSession,
    *,
    platform: str,
    kind: str,
    sender: str,
    payload: dict[str, Any],
    at: dt.datetime,
    holder: str | None,
    lease: dt.timedelta,
) -> tuple[int, bool]:
    """Keep one delivery until its turn has run; its id, and whether `holder` holds it already
    (it does when it asked to and the sender has no earlier turn waiting: it runs it at once).

    On PostgreSQL the commit does not wait for the write-ahead log to reach the disk
    (`synchronous_commit = off`, for this transaction only): the row survives the bot's
    process dying at any point, and only a crash of PostgreSQL itself (or its machine) could
    lose the last fraction of a second of acknowledgements."""
    if _postgres(session):
        await session.execute(text("SET LOCAL synchronous_commit = off"))
    ours = holder is not None and not await session.scalar(
        select(literal(1)).where(exists().where(QueuedTurn.sender == sender))
    )
    row = QueuedTurn(
        platform=platform,
        kind=kind,
        sender=sender,
        payload=payload,
        received_at=at,
        claimed_by=holder if ours else None,
        lease_until=at + lease if ours else None,
        attempts=1 if ours else 0,
    )
    session.add(row)
    await session.flush()
    return row.id, ours


async def claim(
    session: AsyncSession,
    *,
    platform: str,
    holder: str,
    at: dt.datetime,
    lease: dt.timedelta,
    limit: int,
) -> list[QueuedTurn]:
    """Up to `limit` turns for `holder` to run, oldest first: each sender's oldest row, when
    nobody holds it (or its holder's lease has run out)."""
    earlier = aliased(QueuedTurn)
    heads = (
        select(QueuedTurn)
        .where(
            QueuedTurn.platform == platform,
            or_(QueuedTurn.lease_until.is_(None), QueuedTurn.lease_until < at),
            ~exists().where(earlier.sender == QueuedTurn.sender, earlier.id < QueuedTurn.id),
        )
        .order_by(QueuedTurn.id)
        .limit(limit)
    )
    if _postgres(session):
        heads = heads.with_for_update(skip_locked=True, of=QueuedTurn)
    rows = list(await session.scalars(heads))
    for row in rows:
        row.claimed_by = holder
        row.lease_until = at + lease
        row.attempts += 1
    await session.flush()
    return rows


async def renew(
    session: AsyncSession, *, holder: str, at: dt.datetime, lease: dt.timedelta
) -> None:
    """Keep holding what `holder` holds (turns waiting for a free slot, or running long)."""
    await session.execute(
        update(QueuedTurn).where(QueuedTurn.claimed_by == holder).values(lease_until=at + lease)
    )


async def finish(session: AsyncSession, turn_id: int) -> None:
    """The turn has run: forget the delivery, and what it said."""
    await session.execute(delete(QueuedTurn).where(QueuedTurn.id == turn_id))


async def waiting(session: AsyncSession) -> int:
    """How many acknowledged deliveries have not run yet (for tests and operations)."""
    return int(await session.scalar(select(func.count()).select_from(QueuedTurn)) or 0)
