"""The inbound queue (`inbound_queue`): deliveries acknowledged to a platform whose turn has not
run yet. A row is written before the acknowledgement, claimed by a worker for a while (its
lease), and deleted once the turn has run; a worker that dies lets go when its lease expires.

One sender's rows run one at a time, oldest first: only the oldest row of each sender (its
head) can be claimed. Several workers (processes, machines) claim different senders' heads at
once; on PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two of them off the same row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import InboundEvent, QueuedTurn


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Delivery:
    """One verified delivery to keep: its platform, kind of turn, sender and payload."""

    platform: str
    kind: str
    sender: str
    payload: dict[str, Any]


# The acknowledgement's statements, built once (building a statement costs more CPU than
# sending it): senders with a turn waiting that the holder does not hold, and a Core INSERT
# (the ORM's unit of work would cost more than the write) giving the ids in the rows' order,
# the payload encrypted by its column's type.
_BUSY = (
    select(QueuedTurn.sender)
    .where(
        QueuedTurn.sender.in_(bindparam("senders", expanding=True)),
        or_(QueuedTurn.claimed_by.is_(None), QueuedTurn.claimed_by != bindparam("holder")),
    )
    .distinct()
)
_ASYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit = off")
_TABLE = cast(Table, QueuedTurn.__table__)
_INSERT = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


async def enqueue(
    session: AsyncSession,
    deliveries: Sequence[Delivery],
    *,
    at: dt.datetime,
    holder: str | None,
    lease: dt.timedelta,
) -> list[tuple[int, bool]]:
    """Keep deliveries until their turns have run (one INSERT for them all, in order); for
    each, its id and whether `holder` holds it already (it does when it asked to and the
    sender has no earlier turn waiting that someone else holds: it runs it at once).

    On PostgreSQL the commit does not wait for the write-ahead log to reach the disk
    (`synchronous_commit = off`, for this transaction only): the rows survive the bot's
    process dying at any point, and only a crash of PostgreSQL itself (or its machine) could
    lose the last fraction of a second of acknowledgements."""
    if _postgres(session):
        await session.execute(_ASYNCHRONOUS_COMMIT)
    # Senders with a turn waiting that `holder` does not hold: their next turn waits for it
    # (claimed later, in order). A sender whose earlier turns `holder` holds is run here too,
    # after them (the caller runs one sender's turns one after another).
    busy: set[str] = set()
    if holder is not None:
        senders = sorted({d.sender for d in deliveries})
        busy = set(await session.scalars(_BUSY, {"senders": senders, "holder": holder}))
    rows: list[dict[str, Any]] = []
    for delivery in deliveries:
        ours = holder is not None and delivery.sender not in busy
        if not ours:
            busy.add(delivery.sender)  # so their later deliveries wait too
        rows.append(
            {
                "platform": delivery.platform,
                "kind": delivery.kind,
                "sender": delivery.sender,
                "payload": delivery.payload,
                "received_at": at,
                "claimed_by": holder if ours else None,
                "lease_until": at + lease if ours else None,
                "attempts": 1 if ours else 0,
            }
        )
    if len(rows) == 1:
        ids = [int(await session.scalar(_INSERT, rows[0]) or 0)]
    else:
        ids = [int(i) for i in await session.scalars(_INSERT, rows)]
    return [
        (turn_id, row["claimed_by"] is not None) for turn_id, row in zip(ids, rows, strict=True)
    ]


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


_FINISH = delete(_TABLE).where(_TABLE.c.id == bindparam("turn_id"))


async def finish(session: AsyncSession, turn_id: int) -> None:
    """The turn has run: forget the delivery, and what it said."""
    await session.execute(_FINISH, {"turn_id": turn_id})


# PostgreSQL: the turn's first-delivery insert (`storage.services.inbound_events`) and the kept
# delivery's delete as one statement, one round trip instead of two (a data-modifying CTE).
_FIRST_AND_FINISH = text(
    "WITH finished AS (DELETE FROM inbound_queue WHERE id = :turn_id) "
    "INSERT INTO inbound_events (platform, event_id, received_at) "
    "VALUES (:platform, :event_id, :received_at) ON CONFLICT DO NOTHING"
).bindparams(bindparam("received_at", type_=InboundEvent.__table__.c.received_at.type))


async def first_delivery_and_finish(
    session: AsyncSession, turn_id: int, *, platform: str, event_id: str, at: dt.datetime
) -> bool:
    """On PostgreSQL, `inbound_events.first_delivery` and `finish` in one statement: True the
    first time the delivery is seen, and the kept delivery is forgotten either way (when the
    transaction commits)."""
    values = {
        "turn_id": turn_id,
        "platform": platform,
        "event_id": event_id[:200],
        "received_at": at,
    }
    result = await session.execute(_FIRST_AND_FINISH, values)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def waiting(session: AsyncSession) -> int:
    """How many acknowledged deliveries have not run yet (for tests and operations)."""
    return int(await session.scalar(select(func.count()).select_from(QueuedTurn)) or 0)
