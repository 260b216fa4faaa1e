"""Retention: a dry run says what would go; a purge removes exactly that and records it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    AuditEntry,
    ChecklistItem,
    Placement,
    Pupil,
    RegisterSession,
)
from storage.services.audit import Change
from storage.services.placements import end_placement
from storage.services.retention import RetentionPolicy, purge
from tests.support.factories import build_world, place


async def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_purge_removes_only_what_is_past_retention(db, clock) -> None:
    world = await build_world(db, clock)
    change = Change(person_id=world.teacher.id, channel="test", at=clock.now())
    async with db.sessions() as session, session.begin():
        old = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(1999, 9, 6),
        )
        await end_placement(
            session,
            change,
            old,
            ended_on=dt.date(2000, 7, 21),
            outcome="returned_to_school",
            return_date=None,
            reintegration_notes=None,
        )
        current = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.provider,
            start=dt.date(2019, 9, 2),
        )
        for day, placement in (
            (dt.date(2000, 3, 1), old),
            (dt.date(2019, 9, 3), current),
            (dt.date(2026, 11, 26), current),
        ):
            session.add(
                AttendanceRecord(
                    placement_id=placement.id,
                    date=day,
                    session=RegisterSession.am,
                    status=AttendanceStatus.present,
                    code="B",
                    reported_by_id=world.provider_staff.id,
                    reported_at=clock.now(),
                )
            )
    policy = RetentionPolicy(attendance_years=6, safeguarding_years=25)
    async with db.sessions() as session, session.begin():
        dry = await purge(session, change, today=dt.date(2026, 11, 27), policy=policy, dry_run=True)
    assert dry.counts["placements"] == 1 and dry.counts["pupils"] == 1
    assert dry.counts["attendance"] == 2  # the old placement's, and 2019's (past 6 years)
    assert "Would remove" in dry.as_text()
    async with db.sessions() as session:
        assert await _count(session, Placement) == 2  # a dry run changes nothing

    async with db.sessions() as session, session.begin():
        done = await purge(
            session, change, today=dt.date(2026, 11, 27), policy=policy, dry_run=False
        )
    assert done.counts == dry.counts
    async with db.sessions() as session:
        placements = list(await session.scalars(select(Placement)))
        assert [p.id for p in placements] == [current.id]
        # Jamie (only the old placement) goes; Robin (placed now) and Casey (never placed) stay.
        assert {p.first_name for p in await session.scalars(select(Pupil))} == {"Robin", "Casey"}
        assert (
            await session.scalar(
                select(func.count())
                .select_from(ChecklistItem)
                .where(ChecklistItem.placement_id == old.id)
            )
            == 0
        )
        dates = set(await session.scalars(select(AttendanceRecord.date)))
        assert dates == {dt.date(2026, 11, 26)}
        record = await session.scalar(select(AuditEntry).where(AuditEntry.action == "purged"))
        assert record is not None and record.changes["removed"]["placements"] == 1
        # The old placement's audit entries stay: the log outlives the records.
        assert await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.placement_id == old.id)
        )
    async with db.sessions() as session, session.begin():
        again = await purge(
            session, change, today=dt.date(2026, 11, 27), policy=policy, dry_run=False
        )
    assert again.total == 0 and again.as_text() == "Nothing is past its retention period."
