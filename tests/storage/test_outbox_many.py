"""Many messages queued at once (the day's reminders at national scale, given to PostgreSQL
with COPY): each key once, whether it was queued before or comes twice in the batch, and every
row as a plain INSERT would have written it (text and payload encrypted, times in UTC)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.clock import FixedClock
from storage.models import OutboxMessage, OutboxStatus
from storage.services.outbox import COPY_FROM, MessageToQueue, enqueue_many
from storage.wording import NoticeKind
from tests.support.database import Database


def _message(n: int, text: str, due_at: dt.datetime) -> MessageToQueue:
    return MessageToQueue(
        key=f"many:{n}",
        kind=NoticeKind.check_overdue,
        text=f"{text} {n}: Amara Ahmed (AP-{n:05d})",
        due_at=due_at,
        payload={"subject": f"check:{n}", "done": "tick", "snoozable": True},
    )


async def test_many_messages_are_queued_each_key_once_with_their_text_and_payload(
    db: Database, clock: FixedClock
) -> None:
    now = clock.now()
    async with db.sessions() as session, session.begin():
        assert await enqueue_many(session, [_message(n, "before", now) for n in range(100)]) == 100
    count = COPY_FROM + 500
    batch = [_message(n, "today", now) for n in range(count)]
    batch += [_message(n, "twice", now) for n in range(count - 10, count)]
    async with db.sessions() as session, session.begin():
        assert await enqueue_many(session, batch) == count - 100
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == count
        rows = {
            row.key: row
            for row in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.key.in_(["many:0", "many:150", f"many:{count - 1}"]))
            )
        }  # fmt: skip
    assert rows["many:0"].text == "before 0: Amara Ahmed (AP-00000)"
    last = rows[f"many:{count - 1}"]
    assert last.text == f"today {count - 1}: Amara Ahmed (AP-{count - 1:05d})"
    middle = rows["many:150"]
    assert middle.payload == {"subject": "check:150", "done": "tick", "snoozable": True}
    assert (middle.kind, middle.status, middle.attempts) == (
        NoticeKind.check_overdue, OutboxStatus.pending, 0,
    )  # fmt: skip
    assert middle.due_at == now and middle.created_at == now
    assert middle.recipient_id is None and middle.placement_id is None
