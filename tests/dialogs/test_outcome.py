"""Late arrivals (L before the register closed, U after), explaining an absence later (N to its
final code, with its history), and one pupil's attendance grid."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    OutboxMessage,
    Placement,
    RegisterSession,
    WelfareCall,
    WelfareCallStatus,
)
from storage.services.attendance import confirm_all_present, report_absence
from storage.services.audit import Change
from tests.support.chat import JsonChat, prompt
from tests.support.database import Database
from tests.support.factories import World
from tests.support.world import jamie_at_pathways

TODAY = dt.date(2026, 11, 27)


async def _absent(
    db: Database, world: World, reference: str, day: dt.date, *sessions: RegisterSession
) -> None:
    at = dt.datetime.combine(day, dt.time(9, 15), LONDON)
    async with db.sessions() as session, session.begin():
        placement = await session.scalar(select(Placement).where(Placement.reference == reference))
        assert placement is not None
        await report_absence(
            session,
            Change(person_id=world.provider_staff.id, channel="test", at=at),
            placement=placement,
            date=day,
            sessions=list(sessions),
            code="N",
            reason="not known",
        )


async def test_late_before_the_register_closed_is_l_and_closes_the_welfare_call(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    await _absent(db, world, placement.reference, TODAY, RegisterSession.am)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await chat.say("late")
    await chat.say("1")
    await chat.say("")  # today
    await chat.say("")  # AM
    out = await chat.say("9.75")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "arrived"
    out = await chat.say("09:20")
    assert prompt(out)["field"] == "after_close" and "blank for no" in prompt(out)["text"]
    confirm = prompt(await chat.say(""))
    assert "code L" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and done["record"]["code"] == "L"
    assert done["record"]["welfare_call_closed"] is True

    async with db.sessions() as session:
        record = await session.scalar(select(AttendanceRecord))
        assert record is not None and (record.status.value, record.code) == ("late", "L")
        [history] = list(await session.scalars(select(AttendanceChange)))
        assert (history.from_code, history.to_code, history.source) == ("N", "L", "late")
        call = await session.scalar(select(WelfareCall))
        assert call is not None and call.status == WelfareCallStatus.done
        update = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "absence_update")
        )
        assert update is not None and update.recipient_id == world.dsl.id
        assert "has arrived at Pathways AP Academy" in update.text


async def test_late_after_the_register_closed_is_u(db, clock) -> None:
    world, _ = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    out = await chat.answer_all(
        {"placement": "1", "date": "", "session": "AM", "arrived": "10:40", "after_close": "",
         "confirm": "yes"},
        start="late",
    )  # fmt: skip
    assert out[-1]["record"]["code"] == "U"
    async with db.sessions() as session:
        record = await session.scalar(select(AttendanceRecord))
        assert record is not None and record.code == "U" and record.session == RegisterSession.am


async def test_the_school_explains_an_absence_later_keeping_its_history(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    await _absent(db, world, placement.reference, TODAY, RegisterSession.am, RegisterSession.pm)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say(f"explain {placement.reference}")
    assert prompt(out)["field"] == "absence"
    assert prompt(out)["choices"][0]["label"].startswith("Fri 27/11/2026 AM and PM: N")
    await chat.say("1")
    out = await chat.say("Z9")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "code"
    await chat.say("M")
    await chat.say("Dentist appointment letter seen by the office")
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and "was N" in done["text"]
    async with db.sessions() as session:
        codes = [r.code for r in await session.scalars(select(AttendanceRecord))]
        assert codes == ["M", "M"]
        history = list(await session.scalars(select(AttendanceChange)))
        assert [(h.from_code, h.to_code, h.source, h.changed_by_id) for h in history] == [
            ("N", "M", "explain", world.teacher.id)
        ] * 2


async def test_the_attendance_grid_and_percentage(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    await _absent(
        db,
        world,
        placement.reference,
        TODAY - dt.timedelta(days=1),
        RegisterSession.am,
        RegisterSession.pm,
    )
    async with db.sessions() as session, session.begin():
        await confirm_all_present(
            session,
            Change(person_id=world.provider_staff.id, channel="test", at=clock.now()),
            provider_id=world.provider.id,
            date=TODAY,
        )
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    done = (await chat.say(f"attendance {placement.reference}"))[-1]
    assert done["type"] == "done"
    lines = done["preformatted"].splitlines()  # the grid, shown in a fixed-width font
    assert lines[0].startswith("Week of     Mon")
    assert lines[1] == "02/11/2026  - -    - -    - -    - -    - -"
    assert lines[4] == "23/11/2026  - -    - -    - -    N N    B B"
    assert (
        "Attendance at the provider: 5% (2 of 40 possible sessions attended; 2 absent: "
        "0 authorised, 2 unauthorised; 36 with no report from the provider" in done["text"]
    )
    record = done["record"]
    assert [w["week_of"] for w in record["weeks"]] == [
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
    ]
    assert record["weeks"][3]["days"][4] == {
        "date": "2026-11-27",
        "am": "B",
        "pm": "B",
        "am_kind": "attended",
        "pm_kind": "attended",
    }
    assert (record["attended"], record["possible"], record["percent"]) == (2, 40, 5.0)
    # Another school's staff can't see it.
    other = await JsonChat.as_email(db, clock, world.other_teacher.email)
    out = await other.say(f"attendance {placement.reference}")
    assert out[-1]["type"] == "error"
