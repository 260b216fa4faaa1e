"""Keeping acknowledged deliveries (`inbound_queue.enqueue`): one statement on PostgreSQL, a
transaction on SQLite, the same answer on both: each delivery's id, in the order given, and
whether the keeping process holds it at once (its sender has no turn waiting that someone else
holds, or nobody holds)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.clock import FixedClock
from storage.db import single_statement, transaction
from storage.models import QueuedTurn
from storage.services import inbound_queue
from storage.services.inbound_queue import Delivery
from tests.support.database import Database

LEASE = dt.timedelta(seconds=60)


def _delivery(sender: str, text: str) -> Delivery:
    return Delivery("slack", "message", sender, {"event": {"text": text, "user": sender}})


async def test_a_batch_is_kept_in_order_and_held_only_where_the_sender_is_free(
    db: Database, clock: FixedClock
) -> None:
    at = clock.now()
    async with transaction(db.sessions) as session:  # turns already waiting
        for sender, holder in (("held-elsewhere", "B"), ("held-here", "A"), ("unheld", None)):
            session.add(
                QueuedTurn(
                    platform="slack",
                    kind="message",
                    sender=sender,
                    payload={"earlier": True},
                    received_at=at,
                    claimed_by=holder,
                    lease_until=at + LEASE if holder else None,
                    attempts=1 if holder else 0,
                )
            )
    batch = [
        _delivery("held-elsewhere", "1"),
        _delivery("free", "2"),
        _delivery("held-here", "3"),
        _delivery("unheld", "4"),
        _delivery("free", "5"),
        _delivery("another", "6"),
    ]
    async with single_statement(db.sessions) as session:
        kept = await inbound_queue.enqueue(session, batch, at=at, holder="A", lease=LEASE)
    assert [ours for _, ours in kept] == [False, True, True, False, True, True]
    ids = [turn_id for turn_id, _ in kept]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)

    async with db.sessions() as session:  # committed: another session reads it
        rows = {row.id: row for row in await session.scalars(select(QueuedTurn))}
    for (turn_id, ours), delivery in zip(kept, batch, strict=True):
        row = rows[turn_id]
        assert (row.sender, row.payload) == (delivery.sender, delivery.payload)
        assert row.received_at == at
        assert row.claimed_by == ("A" if ours else None)
        assert row.lease_until == (at + LEASE if ours else None)
        assert row.attempts == (1 if ours else 0)


async def test_a_process_that_runs_no_turns_holds_none(db: Database, clock: FixedClock) -> None:
    batch = [_delivery("someone", "1"), _delivery("someone", "2")]
    async with single_statement(db.sessions) as session:
        kept = await inbound_queue.enqueue(session, batch, at=clock.now(), holder=None, lease=LEASE)
    assert [ours for _, ours in kept] == [False, False]
    async with single_statement(db.sessions) as session:
        one = await inbound_queue.enqueue(
            session, [_delivery("someone else", "3")], at=clock.now(), holder="A", lease=LEASE
        )
    assert one[0][1] is True and one[0][0] > kept[-1][0]
