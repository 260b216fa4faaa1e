"""The inbound queue (`inbound_queue`): deliveries acknowledged to a platform whose turn has not
run yet. A row is written before the acknowledgement, claimed by a worker for a while (its
lease), and deleted once the turn has run; a worker that dies lets go when its lease expires.

One sender's rows run one at a time, oldest first: only the oldest row of each sender (its
head) can be claimed. Several workers (processes, machines) claim different senders' heads at
once; on PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two of them off the same row.

On PostgreSQL a keep that leaves a row for the workers (nobody holds it yet) also says so on
the channel `WAKE_CHANNEL` (`NOTIFY`, sent when the keep commits), and the workers `LISTEN`
there (`listen_for_new_turns`): a turn acknowledged by a web process is claimed at once,
not at the worker's next look (`inbound_poll_seconds`), which stays as the safety net.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from storage.models import QueuedTurn
from storage.services import inbound_events

log = logging.getLogger(__name__)


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Delivery:
    """One verified delivery to keep: its platform, kind of turn, sender and payload."""

    platform: str
    kind: str
    sender: str
    payload: dict[str, Any]


# Workers LISTEN here; a keep that leaves its turns for them NOTIFYs (the payload: the platform).
WAKE_CHANNEL = "apbot_inbound"

# The acknowledgement's statements, built once (building a statement costs more CPU than
# sending it).
#
# PostgreSQL: one statement, committed by itself (`storage.db.single_statement`), so keeping a
# batch is one round trip (it was five: BEGIN, SET LOCAL, the busy read, the INSERT, COMMIT).
# - `synchronous_commit` is off for this statement's own transaction (`set_config(..., true)`
#   in the `quick` CTE, joined so that it runs): its commit does not wait for the disk.
# - A delivery is the holder's ("ours") when the holder asked and its sender has no turn
#   waiting that someone else holds (or nobody does): the NOT EXISTS reads the table as it was
#   before the statement, so a sender's deliveries in one batch are all ours or none are, as
#   with the separate read before.
# - The rows are inserted in the batch's order (ORDER BY its ordinal), so their ids rise in
#   that order: the caller sorts what RETURNING gives by id.
_KEEP_POSTGRES_SQL = """
    WITH quick AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS off{wake})
    INSERT INTO inbound_queue
        (platform, kind, sender, payload, received_at, claimed_by, lease_until, attempts)
    SELECT d.platform, d.kind, d.sender, d.payload, CAST(:at AS timestamp),
           CASE WHEN o.ours THEN CAST(:holder AS varchar) END,
           CASE WHEN o.ours THEN CAST(:until AS timestamp) END,
           CASE WHEN o.ours THEN 1 ELSE 0 END
    FROM unnest(CAST(:platforms AS varchar[]), CAST(:kinds AS varchar[]),
                CAST(:senders AS varchar[]), CAST(:payloads AS text[]))
         WITH ORDINALITY AS d(platform, kind, sender, payload, n)
    CROSS JOIN LATERAL (
        SELECT CAST(:holder AS varchar) IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM inbound_queue q
            WHERE q.sender = d.sender
              AND (q.claimed_by IS NULL OR q.claimed_by <> CAST(:holder AS varchar))
        ) AS ours
    ) AS o
    CROSS JOIN quick
    ORDER BY d.n
    RETURNING id, claimed_by IS NOT NULL AS ours
    """
_KEEP_POSTGRES = text(_KEEP_POSTGRES_SQL.format(wake=""))
# A keeper that runs no turns (`SERVE_RUNS_TURNS=false`) leaves every row to the workers, and
# tells them in the same statement (`pg_notify`, delivered when it commits).
_KEEP_POSTGRES_FOR_WORKERS = text(
    _KEEP_POSTGRES_SQL.format(wake=f", pg_notify('{WAKE_CHANNEL}', :platform) AS woken")
)
# SQLite: senders with a turn waiting that the holder does not hold, then a Core INSERT (the
# ORM's unit of work would cost more than the write) giving the ids in the rows' order, in the
# caller's transaction (BEGIN and COMMIT cost no round trip there).
_BUSY = (
    select(QueuedTurn.sender)
    .where(
        QueuedTurn.sender.in_(bindparam("senders", expanding=True)),
        or_(QueuedTurn.claimed_by.is_(None), QueuedTurn.claimed_by != bindparam("holder")),
    )
    .distinct()
)
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

    On PostgreSQL this is one statement that commits by itself: give it a session from
    `storage.db.single_statement`. Its commit does not wait for the write-ahead log to reach
    the disk (`synchronous_commit = off`, for this statement's transaction only): the rows
    survive the bot's process dying at any point, and only a crash of PostgreSQL itself (or its
    machine) could lose the last fraction of a second of acknowledgements."""
    if _postgres(session):
        return await _enqueue_postgres(session, deliveries, at=at, holder=holder, lease=lease)
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


async def _enqueue_postgres(
    session: AsyncSession,
    deliveries: Sequence[Delivery],
    *,
    at: dt.datetime,
    holder: str | None,
    lease: dt.timedelta,
) -> list[tuple[int, bool]]:
    """`enqueue` on PostgreSQL: one statement (`_KEEP_POSTGRES`). The payloads are encrypted
    and the instants made naive UTC by their columns' own types, as the ORM would."""
    dialect = session.get_bind().dialect
    payload_type = cast(Any, _TABLE.c.payload.type)
    instant = cast(Any, _TABLE.c.received_at.type)
    result = await session.execute(
        _KEEP_POSTGRES if holder is not None else _KEEP_POSTGRES_FOR_WORKERS,
        {
            "platforms": [d.platform for d in deliveries],
            "kinds": [d.kind for d in deliveries],
            "senders": [d.sender for d in deliveries],
            "payloads": [payload_type.process_bind_param(d.payload, dialect) for d in deliveries],
            "at": instant.process_bind_param(at, dialect),
            "until": instant.process_bind_param(at + lease, dialect),
            "holder": holder,
            # for `_KEEP_POSTGRES_FOR_WORKERS`: whose workers to wake
            "platform": ",".join(sorted({d.platform for d in deliveries})),
        },
    )
    kept = sorted((int(turn_id), bool(ours)) for turn_id, ours in result.all())
    if len(kept) != len(deliveries):  # never: one row per delivery, or an error
        raise RuntimeError(f"kept {len(kept)} of {len(deliveries)} deliveries")
    return kept


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


# PostgreSQL: the turn's first-delivery insert (`inbound_events.FIRST`) and the kept
# delivery's delete as one statement, one round trip instead of two (a data-modifying CTE).
_FIRST_AND_FINISH = inbound_events.FIRST["postgresql"].add_cte(
    delete(_TABLE).where(_TABLE.c.id == bindparam("turn_id")).cte("finished")
)


async def first_delivery_and_finish(
    session: AsyncSession, turn_id: int, *, platform: str, event_id: str, at: dt.datetime
) -> bool:
    """On PostgreSQL, `inbound_events.first_delivery` and `finish` in one statement: True the
    first time the delivery is seen, and the kept delivery is forgotten either way (when the
    transaction commits)."""
    values = {**inbound_events.delivery_row(platform, event_id, at), "turn_id": turn_id}
    result = await session.execute(_FIRST_AND_FINISH, values)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def waiting(session: AsyncSession) -> int:
    """How many acknowledged deliveries have not run yet (for tests and operations)."""
    return int(await session.scalar(select(func.count()).select_from(QueuedTurn)) or 0)


@asynccontextmanager
async def listen_for_new_turns(
    engine: AsyncEngine, wake: Callable[[str], None]
) -> AsyncIterator[asyncio.Event | None]:
    """On PostgreSQL: while inside, `wake(platform)` is called whenever a keep leaves turns for
    the workers. Yields an event set if the listening connection is lost (the caller then
    listens again), or None on SQLite, where `apbot serve` runs its own turns and nothing is
    sent. The connection is held (out of the pool's reach) until the block ends."""
    if engine.dialect.name != "postgresql":
        yield None
        return
    lost = asyncio.Event()
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        listener = raw.driver_connection
        assert listener is not None

        def notified(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
            wake(payload)

        def terminated(_connection: Any) -> None:
            lost.set()

        await listener.add_listener(WAKE_CHANNEL, notified)
        listener.add_termination_listener(terminated)
        try:
            yield lost
        finally:
            listener.remove_termination_listener(terminated)
            if not lost.is_set():
                try:
                    await listener.remove_listener(WAKE_CHANNEL, notified)
                except Exception as error:  # gone meanwhile: nothing left to stop
                    log.debug("inbound: could not stop listening (%s)", type(error).__name__)
