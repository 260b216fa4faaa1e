"""Deliveries already handled: a platform's retry, a second click or a replayed request is
remembered once (the `inbound_events` table, unique per platform and key) and dropped after."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import InboundEvent


async def first_delivery(
    session: AsyncSession, *, platform: str, event_id: str, at: dt.datetime
) -> bool:
    """Remember a platform delivery; True the first time, False for a repeat (a retry, a
    second click), even when two bot instances race."""
    values = {"platform": platform, "event_id": event_id[:200], "received_at": at}
    statement = insert_for(session, InboundEvent).values(**values).on_conflict_do_nothing()
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_delivery(session: AsyncSession, *, platform: str, event_id: str) -> None:
    """Undo `first_delivery` in the same transaction (the delivery is recorded later, with
    what it changes)."""
    await session.execute(
        delete(InboundEvent).where(
            InboundEvent.platform == platform, InboundEvent.event_id == event_id[:200]
        )
    )
