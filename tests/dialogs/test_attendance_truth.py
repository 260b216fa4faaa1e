"""Records you can trust (issue 12): a reported mark is never silently overwritten, nothing is
reported for a day with no session, the school decides the codes that are the school's, the
digest lists what was reported since the last one, and every view shows the same attendance."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from storage.clock import LONDON, FixedClock
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    OutboxMessage,
    Placement,
    RegisterSession,
    WelfareCall,
)
from storage.rules.attendance import placement_figures, recent_window
from storage.rules.calendar import SchoolCalendar, TermBreak
from storage.services.attendance import confirm_all_present, report_absence
from storage.services.audit import Change
from storage.services.marks import report_of
from storage.services.outcomes import record_late
from storage.services.terms import import_breaks
from tests.support.chat import JsonChat, prompt
from tests.support.database import Database
from tests.support.factories import World, build_world, place

START = dt.date(2026, 11, 2)
MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (dt.date(2026, 11, 23 + n) for n in range(4))


async def _jamie(
    db: Database, clock: FixedClock, *, start: dt.date = START
) -> tuple[World, Placement]:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=start,
        )
    return world, placement


async def _records(db: Database) -> list[AttendanceRecord]:
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(AttendanceRecord).order_by(AttendanceRecord.date, AttendanceRecord.session)
            )
        )


async def _outbox(db: Database, kind: str) -> list[OutboxMessage]:
    async with db.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


# Item 1: a change to a reported mark says what it changes, asks why, is kept, and the DSL hears.


async def test_a_confirmed_present_becoming_absent_asks_why_and_tells_the_dsl(db, clock) -> None:
    world, _ = await _jamie(db, clock)
    async with db.sessions() as session, session.begin():
        await confirm_all_present(
            session,
            Change(world.provider_staff.id, "test", clock.now() - dt.timedelta(days=1)),
            provider_id=world.provider.id,
            date=THURSDAY,
        )
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    for answer in ("absent", "1", "26/11/2026", "AM", "He never arrived"):
        out = await chat.say(answer)
    out = await chat.say("")  # N: reason not yet established
    asked = prompt(out)
    assert asked["field"] == "change_reason"
    assert "AM is recorded present (B)" in asked["text"]
    assert "would become absent (N)" in asked["text"]
    assert "the school's DSL is told the register was wrong" in asked["text"]
    refused = await chat.say("")
    assert refused[0]["type"] == "error" and prompt(refused)["field"] == "change_reason"
    # "yes", taken for the confirmation, is not kept as the reason the register changed.
    refused = await chat.say("yes")
    assert refused[0]["type"] == "error" and prompt(refused)["field"] == "change_reason"
    assert "'yes' doesn't say why" in refused[0]["text"]
    confirm = prompt(await chat.say("The register was taken from last week's list"))
    assert "This changes AM from present (B) to absent (N)" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and "kept in the mark's history" in done["text"]

    am, pm = await _records(db)
    assert (am.status, am.code) == (AttendanceStatus.absent, "N")
    assert (pm.status, pm.code) == (AttendanceStatus.present, "B")  # not touched
    async with db.sessions() as session:
        [history] = list(await session.scalars(select(AttendanceChange)))
        assert (history.from_status, history.from_code) == ("present", "B")
        assert (history.to_status, history.to_code, history.source) == ("absent", "N", "absent")
        assert history.reason == "The register was taken from last week's list"
        assert history.changed_by_id == world.provider_staff.id
        assert await session.scalar(select(WelfareCall)) is not None  # now a new absence
    [told] = await _outbox(db, "register_corrected")
    assert told.recipient_id == world.dsl.id
    assert "Register corrected" in told.text and "was recorded present (B)" in told.text
    assert "last week's list" in told.text


async def test_one_code_becoming_another_is_kept_too(db, clock) -> None:
    world, _ = await _jamie(db, clock)
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = {
        "placement": "1",
        "date": "",
        "sessions": "AM",
        "reason": "Not known",
        "code": "",
        "confirm": "yes",
    }
    await teacher.answer_all(answers, start="absent")
    again = await teacher.answer_all(
        answers
        | {"reason": "Mum rang: a dentist appointment", "code": "M", "change_reason": "Mum rang"},
        start="absent",
    )
    assert again[-1]["type"] == "done"
    [record] = await _records(db)
    assert record.code == "M"
    async with db.sessions() as session:
        [history] = list(await session.scalars(select(AttendanceChange)))
    assert (history.from_code, history.to_code, history.reason) == ("N", "M", "Mum rang")
    assert await _outbox(db, "register_corrected") == []  # it was never a present


async def test_an_absence_reported_in_error_becomes_present_with_its_history(db, clock) -> None:
    world, placement = await _jamie(db, clock)
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    answers = {"placement": "1", "date": "", "sessions": "both", "reason": "Not here",
               "code": "", "confirm": "yes"}  # fmt: skip
    await provider.answer_all(answers, start="absent")
    out = await provider.say(f"explain {placement.reference}")
    out = await provider.say("1")
    assert prompt(out)["choices"][-1]["value"] == "present"
    await provider.say("present")
    confirm = prompt(await provider.say("He was in the art room; we missed him at registration"))
    assert "from absent (N) to present (B)? The school's DSL is told." in confirm["text"]
    done = (await provider.say("yes"))[-1]
    assert "now present (B), was absent (N)" in done["text"]
    records = await _records(db)
    assert {(r.status, r.code) for r in records} == {(AttendanceStatus.present, "B")}
    async with db.sessions() as session:
        history = list(await session.scalars(select(AttendanceChange)))
        call = await session.scalar(select(WelfareCall))
    assert [(h.from_code, h.to_status, h.to_code) for h in history] == [("N", "present", "B")] * 2
    assert all("art room" in h.reason for h in history)
    assert call is not None and call.status.value == "done"  # the pupil was there
    told = await _outbox(db, "absence_update")
    assert told and all("Present after all" in m.text for m in told)


# Item 6: nothing is reported for a session the pupil was not due at the provider.


async def test_no_absence_late_or_register_on_a_day_with_no_session(db, clock) -> None:
    world, placement = await _jamie(db, clock)
    async with db.sessions() as session, session.begin():
        robin = await place(session, clock, by=world.teacher, pupil=world.fsm_pupil,
                            provider=world.provider, start=START, days=("mon", "tue"),
                            provider_hours="12", school_hours="20.5")  # fmt: skip
        school = await session.get(type(world.school), world.school.id)
        assert school is not None
        await import_breaks(
            session,
            Change(world.admin.id, "test", clock.now()),
            organisation=school,
            breaks=[TermBreak("Staff training days", dt.date(2026, 11, 19), dt.date(2026, 11, 20))],
        )
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await chat.say(f"absent {placement.reference}")
    weekend = await chat.say("21/11/2026")
    assert weekend[0]["type"] == "error" and "is at the weekend" in weekend[0]["text"]
    training = await chat.say("19/11/2026")
    assert training[0]["type"] == "error" and "Staff training days" in training[0]["text"]
    await chat.say("cancel")
    await chat.say(f"absent {robin.reference}")
    day_off = await chat.say("25/11/2026")
    assert day_off[0]["type"] == "error"
    assert "isn't timetabled at the provider on Wednesdays" in day_off[0]["text"]
    await chat.say("cancel")

    await chat.say(f"late {placement.reference}")
    saturday = await chat.say("21/11/2026")
    assert saturday[0]["type"] == "error" and "is at the weekend" in saturday[0]["text"]
    await chat.say("cancel")
    out = await chat.say("present 20/11/2026")
    assert out[-1]["type"] == "error" and "None of your pupils was due" in out[-1]["text"]
    assert await _records(db) == []

    # The services refuse it too, whatever channel asks.
    async with db.sessions() as session, session.begin():
        stored = await session.get(Placement, placement.id)
        assert stored is not None
        change = Change(world.provider_staff.id, "test", clock.now())
        for attempt in (
            report_absence(session, change, placement=stored, date=dt.date(2026, 11, 29),
                           sessions=[RegisterSession.am], code="N", reason=""),
            record_late(session, change, placement=stored, date=dt.date(2026, 11, 20),
                        which=RegisterSession.am, arrived_at=dt.time(9, 50), after_close=True),
        ):  # fmt: skip
            try:
                await attempt
            except ValueError as error:
                assert "no session at the provider" in str(error)
            else:
                raise AssertionError("a report for a day with no session was accepted")
        await confirm_all_present(
            session, change, provider_id=world.provider.id, date=dt.date(2026, 11, 20)
        )
    assert await _records(db) == []


# Item 10: the provider reports what happened; the school decides the school's codes.


async def test_a_providers_leave_code_is_a_proposal_the_school_decides(db, clock) -> None:
    world, placement = await _jamie(db, clock)
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await provider.say("absent")
    await provider.say("1")
    await provider.say("")
    await provider.say("both")
    out = await provider.say("Family wedding abroad, Mum says the school agreed")
    labels = {c["value"]: c["label"] for c in prompt(out)["choices"]}
    assert "the school decides" in labels["C"] and "the school decides" in labels["S"]
    assert "the school decides" not in labels["N"]
    confirm = prompt(await provider.say("C"))
    assert "code N (you propose C: the school decides)" in confirm["text"]
    done = (await provider.say("yes"))[-1]
    assert done["record"]["code"] == "N" and done["record"]["proposed_code"] == "C"
    assert "only the school may set that code" in done["text"]
    assert {(r.code, r.proposed_code) for r in await _records(db)} == {("N", "C")}
    [alert] = await _outbox(db, "absence_alert")
    assert "The provider proposes C: Leave of absence for exceptional circumstances" in alert.text

    # School staff may set it.
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await teacher.say(f"explain {placement.reference}")
    assert "(the provider proposes C)" in prompt(out)["choices"][0]["label"]
    for answer in ("1", "C", "Leave agreed by the head for the wedding"):
        await teacher.say(answer)
    done = (await teacher.say("yes"))[-1]
    assert "now C: Leave of absence for exceptional circumstances" in done["text"]
    assert {(r.code, r.proposed_code) for r in await _records(db)} == {("C", None)}


# Item 13: the digest lists absences reported since the last digest, whatever their date.


async def test_an_absence_reported_late_is_in_the_next_digest(db, clock) -> None:
    world, placement = await _jamie(db, clock)
    clock.set(dt.datetime(2026, 11, 29, 12, 0, tzinfo=LONDON))  # Sunday
    async with db.sessions() as session, session.begin():
        stored = await session.get(Placement, placement.id)
        assert stored is not None
        await report_absence(session, Change(world.provider_staff.id, "test", clock.now()),
                             placement=stored, date=WEDNESDAY, sessions=[RegisterSession.am, RegisterSession.pm],
                             code="N", reason="Forgot to report it")  # fmt: skip
    clock.set(dt.datetime(2026, 11, 30, 8, 0, tzinfo=LONDON))  # Monday's digest
    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    [done] = await dsl.say("digest")
    [absences] = [s for s in done["record"]["sections"] if s["title"].startswith("Absences")]
    assert absences["title"] == "Absences reported since Sun 29/11 08:00"
    assert absences["lines"] == [
        f"Jamie Testpupil ({placement.reference}): absent Wed 25/11 AM and PM, code N: Reason "
        "for absence not yet established; reason: Forgot to report it; welfare call NOT YET DONE"
    ]


# Items 3 and 18: the same history gives the same figure in every view.


async def test_every_view_shows_the_same_attendance(db, clock) -> None:
    """Mon present; Tue AM late after the register closed (U), PM present; Wed ill (I, set by
    the school); Thu present; Fri (today) not reported yet: 5 of 8, 62.5%, everywhere. The week
    before was the school's training week: no session, so not in any figure. Robin, dual
    registered (D) at the AP academy, is not counted anywhere."""
    world, jamie = await _jamie(db, clock, start=MONDAY - dt.timedelta(weeks=1))
    async with db.sessions() as session, session.begin():
        school = await session.get(type(world.school), world.school.id)
        assert school is not None
        await import_breaks(
            session,
            Change(world.admin.id, "test", clock.now()),
            organisation=school,
            breaks=[TermBreak("Training week", dt.date(2026, 11, 16), dt.date(2026, 11, 20))],
        )
        robin = await place(session, clock, by=world.teacher, pupil=world.fsm_pupil,
                            provider=world.provider, start=MONDAY)  # fmt: skip
        stored_robin = await session.get(Placement, robin.id)
        stored = await session.get(Placement, jamie.id)
        assert stored is not None and stored_robin is not None
        stored_robin.attendance_code = "D"
        provider = Change(world.provider_staff.id, "test", clock.now())
        await record_late(session, provider, placement=stored, date=TUESDAY, which=RegisterSession.am,
                          arrived_at=dt.time(10, 15), after_close=True)  # fmt: skip
        for day in (MONDAY, TUESDAY, THURSDAY):
            await confirm_all_present(session, provider, provider_id=world.provider.id, date=day)
        await report_absence(session, Change(world.teacher.id, "test", clock.now()), placement=stored,
                             date=WEDNESDAY, sessions=[RegisterSession.am, RegisterSession.pm], code="I",
                             reason="Flu")  # fmt: skip
        await report_absence(session, provider, placement=stored_robin, date=WEDNESDAY,
                             sessions=[RegisterSession.am], code="N", reason="")  # fmt: skip
    expected = "62.5%"
    not_counted = "not counted (another school's register)"
    async with db.sessions() as session:
        stored = await session.get(Placement, jamie.id)
        assert stored is not None
        rows = await session.scalars(
            select(AttendanceRecord).where(AttendanceRecord.placement_id == jamie.id)
        )
        reports = {(r.date, r.session.value): report_of(r) for r in rows}
        start, end = recent_window(clock.now().date())
        found = placement_figures(
            stored,
            {k: v for k, v in reports.items() if v is not None},
            start=start,
            end=end,
            today=end,
            calendar=SchoolCalendar((TermBreak("Training week", start, dt.date(2026, 11, 20)),)),
        )
        assert (found.attended, found.possible, found.percent_text) == (5, 8, expected)

    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    [digest] = await dsl.say("digest")
    [section] = [s for s in digest["record"]["sections"] if s["title"].startswith("Attendance")]
    lines = {line.split(":")[0]: line for line in section["lines"]}
    assert f": {expected} (5 of 8" in lines[f"Jamie Testpupil ({jamie.reference})"]
    assert not_counted in lines[f"Robin Mealsworth ({robin.reference})"]

    [grid] = await dsl.say(f"attendance {jamie.reference}")
    assert grid["record"]["percent_text"] == expected
    assert "Attendance at the provider: 62.5% (5 of 8" in grid["text"]
    [grid] = await dsl.say(f"attendance {robin.reference}")
    assert grid["record"]["percent_text"] == not_counted

    [status] = await dsl.say(f"status {jamie.reference}")
    assert "Attendance at the provider, last 4 weeks: 62.5% (5 of 8" in status["text"]

    [marks] = await dsl.say("marks")
    assert f"attendance {expected} · attended 5 · absent 3" in marks["text"]
    assert f"attendance {not_counted}" in marks["text"]

    [aplist] = await dsl.say("aplist")
    assert f"attendance (last 4 weeks) {expected}" in aplist["text"]

    [report] = await dsl.say("report governors this term")
    assert sorted(report["record"]["attendance"].values()) == sorted([expected, not_counted])
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in report["files"]}
    assert expected in files[".html"].read_text()
    assert ",62.5," in files[".csv"].read_text()

    await dsl.say(f"export {jamie.reference}")
    done = (await dsl.say("yes"))[-1]
    export = {Path(f["path"]).suffix: Path(f["path"]) for f in done["files"]}
    figures = json.loads(export[".json"].read_text())["placements"][0]["attendance_figures"]
    assert (figures["percent"], figures["attended"], figures["possible"]) == (62.5, 5, 8)
