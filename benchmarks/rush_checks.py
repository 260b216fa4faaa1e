"""What the morning-rush benchmark checks in the database afterwards, as a school would notice
it: every absence reported is stored, once; each commissioning school's safeguarding leads were
alerted; every absence has its welfare call, and the provider's staff their task; nobody was
left half-way through a dialog."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks.rush_world import World
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    DialogState,
    OutboxMessage,
    Placement,
    WelfareCall,
)


@dataclass(frozen=True)
class Check:
    passed: bool
    line: str


async def _count(session: AsyncSession, query: object) -> int:
    return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def check_rush(
    sessions: async_sessionmaker[AsyncSession], world: World, *, day: dt.date, sent: int
) -> list[Check]:
    """The checks, each passed or not, with the figures behind it. `sent`: reports begun."""
    references = {r.reference for r in world.reports}
    async with sessions() as session:
        ids = {
            pid
            for pid, ref in await session.execute(select(Placement.id, Placement.reference))
            if ref in references
        }
        on_day = AttendanceRecord.date == day
        rows = await _count(session, select(func.count()).where(on_day))
        absent = await _count(
            session,
            select(func.count(distinct(AttendanceRecord.placement_id))).where(
                on_day, AttendanceRecord.status == AttendanceStatus.absent
            ),
        )
        repeated = await _count(
            session,
            select(func.count()).select_from(
                select(AttendanceRecord.placement_id)
                .where(on_day)
                .group_by(AttendanceRecord.placement_id, AttendanceRecord.session)
                .having(func.count() > 1)
                .subquery()
            ),
        )
        alerts = list(
            await session.execute(
                select(OutboxMessage.placement_id, func.count())
                .where(
                    OutboxMessage.kind == "absence_alert",
                    OutboxMessage.key.like(f"absence:%:{day.isoformat()}:%"),
                )
                .group_by(OutboxMessage.placement_id)
            )
        )
        calls = set(
            await session.scalars(select(WelfareCall.id).where(WelfareCall.absence_date == day))
        )
        task_keys = await session.scalars(
            select(OutboxMessage.key).where(OutboxMessage.kind == "welfare_call_task")
        )
        tasks = sum(1 for key in task_keys if int(key.split(":")[1]) in calls)
        open_dialogs = await _count(session, select(func.count()).select_from(DialogState))
    alerted = sum(n for _, n in alerts)
    wrong = sum(1 for pid, n in alerts if n != world.leads_per_report or pid not in ids)
    leads, staff = world.leads_per_report, world.staff_per_provider
    return [
        Check(
            absent == sent,
            f"none lost: {sent:,} absences reported, {absent:,} pupils recorded absent",
        ),
        Check(
            repeated == 0 and rows == absent,
            f"no duplicates: {rows:,} attendance rows for {absent:,} pupils (one session each), "
            f"{repeated} repeated",
        ),
        Check(
            alerted == absent * leads and wrong == 0 and len(alerts) == absent,
            f"every DSL alert queued: {alerted:,} absence alerts ({leads} leads per school; "
            f"{len(alerts):,} pupils, {wrong} with the wrong number)",
        ),
        Check(
            len(calls) == absent and tasks == absent * staff,
            f"welfare calls: {len(calls):,} opened, {tasks:,} tasks for the providers' staff "
            f"({staff} per provider)",
        ),
        Check(open_dialogs == 0, f"no dialog left half-way: {open_dialogs} open"),
    ]
