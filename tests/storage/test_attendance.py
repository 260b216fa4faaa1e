"""The attendance service: absences, welfare calls, alerts and the provider's register."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    AuditEntry,
    OutboxMessage,
    Placement,
    RegisterSession,
    WelfareCall,
    WelfareCallStatus,
)
from storage.services.attendance import (
    AttendanceError,
    confirm_all_present,
    deadline_passed,
    report_absence,
)
from storage.services.audit import Change
from storage.services.placements import end_placement
from tests.support.factories import build_world, place

START = dt.date(2026, 11, 2)
FRIDAY = dt.date(2026, 11, 27)


def _change(person_id: int, at: dt.datetime) -> Change:
    return Change(person_id=person_id, channel="test", at=at)


async def _count(session: AsyncSession, model: type) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_report_absence_records_each_session_and_starts_one_call(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        # School staff may code the illness I (a provider's I would only be a proposal).
        change = _change(world.teacher.id, clock.now())
        records = await report_absence(
            session,
            change,
            placement=placement,
            date=FRIDAY,
            sessions=[RegisterSession.pm, RegisterSession.am, RegisterSession.am],
            code="i",
            reason="  Temperature  ",
        )
        assert [r.session for r in records] == [RegisterSession.am, RegisterSession.pm]
        assert all(r.code == "I" and r.reason == "Temperature" for r in records)
        assert all(r.late_report for r in records)  # 10:00 is after 09:30
        # A second report for the afternoon updates that row and opens no second call.
        await report_absence(
            session,
            change,
            placement=placement,
            date=FRIDAY,
            sessions=[RegisterSession.pm],
            code="M",
            reason="Dentist",
            change_reason="Mum rang back: it was the dentist",
        )
        assert await _count(session, AttendanceRecord) == 2
        assert await _count(session, WelfareCall) == 1
        call = await session.scalar(select(WelfareCall))
        assert call is not None and call.status == WelfareCallStatus.open
        audit = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.record_type == "AttendanceRecord")
            )
        )
        assert sorted(a.action for a in audit) == ["created", "created", "updated"]
        [history] = list(await session.scalars(select(AttendanceChange)))
        assert (history.from_code, history.to_code, history.source) == ("I", "M", "absent")
        alert_keys = list(
            await session.scalars(
                select(OutboxMessage.key).where(OutboxMessage.kind == "absence_alert")
            )
        )
        assert alert_keys == [f"absence:{placement.id}:2026-11-27:{world.dsl.id}"]


async def test_absence_refusals(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        change = _change(world.provider_staff.id, clock.now())

        async def report(**kwargs: object) -> None:
            values: dict = {
                "placement": placement,
                "date": FRIDAY,
                "sessions": [RegisterSession.am],
                "code": "N",
                "reason": "Not known",
            }
            values.update(kwargs)
            await report_absence(session, change, **values)

        for kwargs, words in (
            ({"code": "ZZ"}, "isn't an attendance code"),
            ({"code": "B"}, "isn't an absence code"),
            ({"code": "/"}, "isn't an absence code"),
            ({"sessions": []}, "which sessions"),
            ({"date": dt.date(2026, 11, 1)}, "started on 02/11/2026"),
        ):
            with pytest.raises(AttendanceError, match=words):
                await report(**kwargs)
        await end_placement(
            session,
            change,
            placement,
            ended_on=FRIDAY,
            outcome="other",
            return_date=None,
            reintegration_notes="Moved away",
        )
        with pytest.raises(AttendanceError, match="has ended"):
            await report()
        assert await _count(session, AttendanceRecord) == 0


async def test_lateness_follows_the_deadline_in_london_time(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
    summer = dt.date(2027, 6, 7)  # British Summer Time: 09:30 London is 08:30 UTC
    assert not deadline_passed(placement, summer, dt.datetime(2027, 6, 7, 8, 29, tzinfo=dt.UTC))
    assert deadline_passed(placement, summer, dt.datetime(2027, 6, 7, 8, 31, tzinfo=dt.UTC))
    assert not deadline_passed(placement, FRIDAY, dt.datetime(2026, 11, 27, 9, 30, tzinfo=LONDON))
    # A report about an earlier day is late; one made ahead of time is not.
    assert deadline_passed(placement, dt.date(2026, 11, 26), clock.now())
    assert not deadline_passed(placement, dt.date(2026, 11, 30), clock.now())


async def test_all_present_marks_only_expected_sessions_and_keeps_absences(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        every_day = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        mondays = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.provider,
            start=START,
            days=("mon",),
            provider_hours="6",
            school_hours="26.5",
        )
        not_started = await place(
            session,
            clock,
            by=world.other_teacher,
            pupil=world.other_pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 30),
        )
        elsewhere = await place(
            session,
            clock,
            by=world.dsl,
            pupil=world.pupil,
            provider=world.unregistered,
            start=START,
            provider_hours="10",
            school_hours="22.5",
        )
        change = _change(world.provider_staff.id, clock.now())
        await report_absence(
            session,
            change,
            placement=every_day,
            date=FRIDAY,
            sessions=[RegisterSession.pm],
            code="M",
            reason="Dentist",
        )
        created = await confirm_all_present(
            session, change, provider_id=world.provider.id, date=FRIDAY
        )
        assert [(r.placement_id, r.session) for r in created] == [
            (every_day.id, RegisterSession.am)
        ]
        assert created[0].status == AttendanceStatus.present and created[0].code == "B"
        assert created[0].late_report is True and created[0].welfare_call_needed is False
        rows = {
            (r.placement_id, r.session): r for r in await session.scalars(select(AttendanceRecord))
        }
        assert rows[(every_day.id, RegisterSession.pm)].status == AttendanceStatus.absent
        for skipped in (mondays, not_started, elsewhere):
            assert not any(pid == skipped.id for pid, _ in rows)
        assert (
            await confirm_all_present(session, change, provider_id=world.provider.id, date=FRIDAY)
            == []
        )
        # Monday's register includes the Monday-only pupil.
        monday = await confirm_all_present(
            session, change, provider_id=world.provider.id, date=dt.date(2026, 11, 23)
        )
        assert {r.placement_id for r in monday} == {every_day.id, mondays.id}
        with pytest.raises(AttendanceError, match="today or an earlier day"):
            await confirm_all_present(
                session, change, provider_id=world.provider.id, date=dt.date(2026, 11, 30)
            )
        audit = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.record_type == "AttendanceRecord", AuditEntry.action == "created")
        )
        assert audit == 2 + 4  # the absence, Friday's AM, and Monday's four sessions
        stored = await session.get(Placement, every_day.id)
        assert stored is not None
