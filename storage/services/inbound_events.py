"""Deliveries already handled: a platform's retry, a second click or a replayed request is
remembered once (the `inbound_events` table, unique per platform and key) and dropped after."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundEvent

# Built once per database (building a statement costs more CPU than running it, on a chat
# turn's hot path): insert the key unless it is there.
_TABLE = cast(Table, InboundEvent.__table__)
FIRST: dict[str, postgresql.Insert | sqlite.Insert] = {
    "postgresql": postgresql.insert(_TABLE).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_TABLE).on_conflict_do_nothing(),
}


async def first_delivery(
    session: AsyncSession, *, platform: str, event_id: str, at: dt.datetime
) -> bool:
    """Remember a platform delivery; True the first time, False for a repeat (a retry, a
    second click), even when two bot instances race."""
    dialect = session.get_bind().dialect.name
    result = await session.execute(FIRST[dialect], delivery_row(platform, event_id, at))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delivery_row(platform: str, event_id: str, at: dt.datetime) -> dict[str, object]:
    """The values `FIRST` inserts for a delivery (the key cut to its column's 200 characters)."""
    return {"platform": platform, "event_id": event_id[:200], "received_at": at}
