"""Report absence and "all present", driven through the `--json` terminal channel (and through
the runner directly for a provider's shared channel)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, func, select

from dialogs.prompts import Done, ErrorReply, Prompt, Reply
from dialogs.runner import DialogRunner, Incoming
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    AuditEntry,
    DialogState,
    OutboxMessage,
    Person,
    Placement,
    RegisterSession,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.services.audit import Change
from storage.services.placements import end_placement
from tests.support.chat import JsonChat, prompt, texts
from tests.support.database import Database
from tests.support.factories import World, build_world, place

START = dt.date(2026, 11, 2)
TODAY = dt.date(2026, 11, 27)


async def _world(db: Database, clock) -> tuple[World, Placement, Placement]:
    """Jamie at Pathways (welfare calls by the provider); Robin at the unregistered provider."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        ours = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        elsewhere = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.unregistered,
            start=START,
            days=("mon", "tue"),
            provider_hours="10",
            school_hours="22.5",
        )
    return world, ours, elsewhere


def absent_answers(**overrides: str) -> dict[str, str]:
    answers = {
        "placement": "1",
        "date": "",
        "sessions": "both",
        "reason": "Mum rang: he has a temperature.",
        "code": "I",
        "confirm": "yes",
    }
    answers.update(overrides)
    return answers


async def _records(db: Database) -> list[AttendanceRecord]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(AttendanceRecord).order_by(AttendanceRecord.date, AttendanceRecord.session)
        )
        return list(rows)


async def test_provider_reports_an_absence_and_the_dsl_is_alerted(db, clock) -> None:
    world, ours, elsewhere = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    first = await chat.say("absent")
    choices = prompt(first)["choices"]
    # Only the provider's own pupil is offered; never the other provider's reference.
    assert [c["value"] for c in choices] == [ours.reference]
    assert elsewhere.reference not in texts(first)
    out = await chat.say("1")
    out = await chat.say("")  # today, 10:00: after the 09:30 deadline
    assert any(o["type"] == "message" and "late report" in o["text"] for o in out)
    await chat.say("AM, PM")
    await chat.say("Mum rang: he has a temperature.")
    confirm = prompt(await chat.say(""))  # blank: N, reason not yet established
    assert "code N" in confirm["text"] and "Jamie Testpupil" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and done["dialog"] == "absent"
    assert done["record"]["reference"] == ours.reference
    assert done["record"]["sessions"] == ["AM", "PM"]
    assert done["record"]["code"] == "N" and done["record"]["late_report"] is True
    assert "You make the welfare call" in done["text"]

    records = await _records(db)
    assert [(r.session, r.status, r.code) for r in records] == [
        (RegisterSession.am, AttendanceStatus.absent, "N"),
        (RegisterSession.pm, AttendanceStatus.absent, "N"),
    ]
    assert all(r.late_report and r.welfare_call_needed for r in records)
    assert all(r.reported_by_id == world.provider_staff.id for r in records)
    async with db.sessions() as session:
        call = await session.scalar(select(WelfareCall))
        assert call is not None and done["record"]["welfare_call_id"] == call.id
        assert call.party == WelfareCallParty.provider and call.status == WelfareCallStatus.open
        assert call.absence_date == TODAY and call.assigned_to_id is None
        outbox = list(
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind.in_(["absence_alert", "welfare_call_task"])
                )
            )
        )
        alert = next(m for m in outbox if m.kind == "absence_alert")
        assert alert.recipient_id == world.dsl.id
        assert alert.key == f"absence:{ours.id}:2026-11-27:{world.dsl.id}"
        assert "Jamie Testpupil" in alert.text and "LATE" in alert.text
        task = next(m for m in outbox if m.kind == "welfare_call_task")
        assert task.recipient_id == world.provider_staff.id
        assert ours.reference in task.text and "Jamie" not in task.text
        assert len(outbox) == 2
        audit = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.channel == "terminal"))
        )
        assert sorted((a.record_type, a.action) for a in audit) == [
            ("AttendanceRecord", "created"),
            ("AttendanceRecord", "created"),
            ("WelfareCall", "created"),
        ]
        assert all(a.person_id == world.provider_staff.id for a in audit)
        assert all(a.changes.get("reason") in (None, "(recorded)") for a in audit)


async def test_a_provider_cannot_report_another_providers_pupil(db, clock) -> None:
    world, _, elsewhere = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    refused = await chat.say(f"absent {elsewhere.reference}")
    assert refused[-1]["type"] == "error" and "can't find" in refused[-1]["text"]
    assert "Robin" not in texts(refused)
    await chat.say("absent")
    typed = await chat.say(elsewhere.reference)
    assert typed[0]["type"] == "error" and prompt(typed)["field"] == "placement"
    assert elsewhere.reference not in str(prompt(typed)["choices"])
    assert await _records(db) == []


async def test_a_repeated_report_updates_rather_than_duplicates(db, clock) -> None:
    world, _, _ = await _world(db, clock)
    clock.set(dt.datetime(2026, 11, 27, 9, 0))  # before the 09:30 deadline
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    first = await chat.answer_all(absent_answers(sessions="AM", code=""), start="absent")
    assert first[-1]["record"]["late_report"] is False
    clock.set(dt.datetime(2026, 11, 27, 11, 0))
    # The provider's I is only a proposal (the school decides): both sessions stay N, and the
    # AM session, already N, is not a change.
    again = await chat.answer_all(absent_answers(sessions="both", code="I"), start="absent")
    assert again[-1]["type"] == "done" and again[-1]["record"]["proposed_code"] == "I"
    records = await _records(db)
    assert [(r.session, r.code, r.proposed_code) for r in records] == [
        (RegisterSession.am, "N", "I"),
        (RegisterSession.pm, "N", "I"),
    ]
    # The AM correction keeps its on-time report; the PM report came after the deadline.
    assert [r.late_report for r in records] == [False, True]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WelfareCall)) == 1
        updates = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.record_type == "AttendanceRecord", AuditEntry.action == "updated"
                )
            )
        )
        assert len(updates) == 1 and updates[0].changes["proposed_code"] == {
            "from": None,
            "to": "I",
        }
        alerts = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "absence_alert")
        )
        assert alerts == 1  # one alert per pupil, day and DSL


async def test_school_staff_report_and_the_school_makes_the_call(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        ours = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
            welfare=WelfareCallParty.school,
        )
        stored = await session.get(Placement, ours.id)
        assert stored is not None
        stored.welfare_call_person_id = world.teacher.id
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.answer_all(
        absent_answers(date="yesterday", sessions="PM", reason="Not known", code="O"),
        start="report absence",
    )
    assert "The school makes the welfare call" in out[-1]["text"]
    assert out[-1]["record"]["late_report"] is True  # a report about a past day is late
    async with db.sessions() as session:
        call = await session.scalar(select(WelfareCall))
        assert call is not None
        assert call.party == WelfareCallParty.school and call.assigned_to_id == world.teacher.id
        task = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "welfare_call_task")
        )
        assert task is not None and task.recipient_id == world.teacher.id


async def test_bad_answers_are_refused_and_cancel_saves_nothing(db, clock) -> None:
    world, _, _ = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await chat.say("absent")
    await chat.say("1")
    for bad, words in (
        ("31/02/2026", "not a real date"),
        ("01/11/2026", "last 14 days"),
        ("31/12/2026", "today or an earlier day"),
        ("tomorrow", "today or an earlier day"),
    ):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and words in out[0]["text"], out
    await chat.say("today")
    out = await chat.say("evening")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "sessions"
    await chat.say("1")
    assert (await chat.say(""))[0]["type"] == "error"
    await chat.say("'); DROP TABLE pupils;--")
    out = await chat.say("ZZ")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "code"
    out = await chat.say("B")  # an attendance code, not an absence code
    assert out[0]["type"] == "error"
    out = await chat.say("back")
    assert prompt(out)["field"] == "reason"
    out = await chat.say("cancel")
    assert "Nothing was saved" in out[-1]["text"]
    assert await _records(db) == []
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0
        assert await session.scalar(select(func.count()).select_from(WelfareCall)) == 0


async def test_a_weekday_means_the_last_one_and_an_absence_is_never_in_the_future(
    db, clock
) -> None:
    """On Sunday 29/11, `tue` is Tuesday 24/11 (not 01/12, a day that hasn't happened), and
    `last wed` works too."""
    world, ours, _ = await _world(db, clock)
    clock.set(dt.datetime(2026, 11, 29, 18, 0))
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await chat.say("absent")
    date_prompt = prompt(await chat.say("1"))
    assert date_prompt["field"] == "date" and date_prompt["date_sense"] == "happened"
    out = await chat.say("next tue")
    assert out[0]["type"] == "error" and "today or an earlier day" in out[0]["text"]
    assert prompt(await chat.say("tue"))["field"] == "sessions"
    for answer in ("both", "Mum rang: he has a temperature.", "I"):
        await chat.say(answer)
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and done["record"]["date"] == "2026-11-24"
    out = await chat.answer_all(
        absent_answers(date="last wed", placement=ours.reference), start="absent"
    )
    assert out[-1]["record"]["date"] == "2026-11-25"
    async with db.sessions() as session:
        calls = list(await session.scalars(select(WelfareCall).order_by(WelfareCall.absence_date)))
    assert [c.absence_date for c in calls] == [dt.date(2026, 11, 24), dt.date(2026, 11, 25)]


async def _shared(runner: DialogRunner, world: World, text: str) -> list[Reply]:
    return await runner.handle(
        world.provider_staff.id,
        Incoming(text=text),
        channel="terminal",
        conversation="shared:pathways",
        shared=True,
    )


async def test_in_a_shared_channel_only_the_reference_is_posted(db, clock) -> None:
    world, ours, _ = await _world(db, clock)
    runner = DialogRunner(db.sessions, clock)
    first = await _shared(runner, world, "absent")
    question = first[-1]
    assert isinstance(question, Prompt)
    assert question.choices[0].label.startswith(f"{ours.reference} · JT")
    # Shown again later (e.g. after a restart), the question is still worded for the channel.
    again = await runner.active_prompt(
        world.provider_staff.id, conversation="shared:pathways", channel="terminal"
    )
    assert again is not None and "Jamie" not in again.choices[0].label
    said: list[Reply] = list(first)
    for answer in ("1", "today", "both", "Unwell, mum rang", "I"):
        said += await _shared(runner, world, answer)
    confirm = said[-1]
    assert isinstance(confirm, Prompt) and confirm.field == "confirm"
    done = (await _shared(runner, world, "yes"))[-1]
    assert isinstance(done, Done)
    assert ours.reference in done.text
    for secret in ("Jamie", "Testpupil", "JT", "Unwell", "mum"):
        assert secret not in done.text
        assert secret not in confirm.text
    assert not any(isinstance(r, ErrorReply) for r in said)
    assert len(await _records(db)) == 2


async def test_present_marks_expected_pupils_and_keeps_absences(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        jamie = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        robin = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.provider,
            start=START,
        )
        mondays = await place(
            session,
            clock,
            by=world.other_teacher,
            pupil=world.other_pupil,
            provider=world.provider,
            start=START,
            days=("mon",),
            provider_hours="6",
            school_hours="26.5",
        )
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await provider.answer_all(
        absent_answers(placement=jamie.reference, sessions="AM", code="N"), start="absent"
    )
    out = await provider.say("present")
    out = await provider.say("")
    confirm = prompt(out)
    assert confirm["field"] == "confirm"
    assert "Mark 2 pupil(s) present for AM and PM on Fri 27/11/2026" in confirm["text"]
    assert f"{jamie.reference} (absent AM: stays absent)" in confirm["text"]
    assert robin.reference in confirm["text"] and mondays.reference not in confirm["text"]
    assert "Jamie" not in confirm["text"] and "Robin" not in confirm["text"]
    done = (await provider.say("yes"))[-1]
    assert done["type"] == "done" and done["dialog"] == "present"
    assert done["record"]["sessions_marked"] == 3
    assert done["record"]["still_absent"] == [jamie.reference]

    rows = {(r.placement_id, r.session): r for r in await _records(db)}
    assert rows[(jamie.id, RegisterSession.am)].status == AttendanceStatus.absent
    assert rows[(jamie.id, RegisterSession.am)].code == "N"
    assert rows[(jamie.id, RegisterSession.pm)].status == AttendanceStatus.present
    assert rows[(robin.id, RegisterSession.am)].status == AttendanceStatus.present
    assert rows[(robin.id, RegisterSession.pm)].code == "B"
    assert not any(pid == mondays.id for pid, _ in rows)
    # Confirming again changes nothing, and the question says so instead of offering to mark
    # pupils present.
    await provider.say("all present")
    confirm = prompt(await provider.say(""))
    assert confirm["text"].startswith(
        "Every session on Fri 27/11/2026 is already reported, so there is nothing to mark present."
    )
    assert "Mark 2 pupil(s)" not in confirm["text"]
    again = await provider.say("yes")
    assert again[-1]["record"]["sessions_marked"] == 0
    assert len(await _records(db)) == 4


async def test_present_refuses_weekends_and_days_with_no_pupils(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
            days=("mon", "tue"),
            provider_hours="12",
            school_hours="20.5",
        )
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await provider.say("present")
    today = await provider.say("")
    assert today[0]["type"] == "error" and "None of your pupils was due" in today[0]["text"]
    weekend = await provider.say("28/11/2026")
    assert weekend[0]["type"] == "error" and "weekend" in weekend[0]["text"]
    future = await provider.say("next mon")
    assert future[0]["type"] == "error" and "today or an earlier day" in future[0]["text"]
    monday = await provider.say("mon")  # on Friday 27/11: Monday 23/11, the one just gone
    assert prompt(monday)["field"] == "confirm"
    await provider.say("cancel")
    shortcut = await provider.say("present sat")
    assert shortcut[-1]["type"] == "error" and "weekend" in shortcut[-1]["text"]
    clock.set(dt.datetime(2026, 12, 29, 10, 0))
    holiday = await provider.say("present 28/12/2026")
    assert holiday[-1]["type"] == "error" and "bank holiday" in holiday[-1]["text"]
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    role = await teacher.say("present")
    assert role[-1]["type"] == "error" and "isn't available to teachers" in role[-1]["text"]
    assert await _records(db) == []


async def test_the_reporter_is_told_when_no_safeguarding_lead_can_be_alerted(db, clock) -> None:
    world, _, _ = await _world(db, clock)
    async with db.sessions() as session, session.begin():
        dsl = await session.get(Person, world.dsl.id)
        assert dsl is not None
        dsl.active = False
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await chat.say("absent")
    await chat.say("1")
    saturday = await chat.say("21/11/2026")
    assert saturday[0]["type"] == "error" and "the weekend" in saturday[0]["text"]
    for answer in ("27/11/2026", "AM", "Not known", "", "yes"):
        out = await chat.say(answer)
    assert out[-1]["type"] == "done" and "nobody there was alerted" in out[-1]["text"]


async def test_each_answer_reads_the_placement_once_and_the_calendar_only_for_the_day(
    db, clock
) -> None:
    """What the steps read is read once a turn, and the school calendar only when a day is
    given (docs/performance.md)."""
    world, _, _ = await _world(db, clock)
    runner = DialogRunner(db.sessions, clock)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    reads: dict[str, tuple[int, int, int]] = {}
    savepoints: dict[str, int] = {}
    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        for answer in ("absent", "1", "today", "both", "Unwell", "I", "yes"):
            statements.clear()
            replies = await runner.handle(
                world.provider_staff.id,
                Incoming(text=answer),
                channel="terminal",
                conversation="dm",
            )
            assert not any(isinstance(r, ErrorReply) for r in replies), replies
            reads[answer] = tuple(  # type: ignore[assignment]
                sum(f"FROM {table}" in s for s in statements)
                for table in ("placements", "term_breaks", "attendance")
            )
            savepoints[answer] = sum(s.startswith("SAVEPOINT") for s in statements)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert isinstance(replies[-1], Done)
    assert reads["absent"] == (1, 0, 0)  # the list to pick from, once
    # The list again (it was the question); no calendar: the day is only asked (it was read
    # here before 30 November's h4 change, for a check that only the next turn makes).
    assert reads["1"] == (1, 0, 0)
    assert reads["today"] == (1, 1, 0)  # the placement re-checked; the day checked
    for answer in ("both", "Unwell"):
        assert reads[answer] == (1, 0, 0), (answer, reads)
    assert reads["I"] == (1, 0, 1)  # the day's marks: is any being changed?
    # The last: the marks once for the question; the save checks the day and the marks itself.
    assert reads["yes"] == (1, 1, 2), reads
    # A savepoint only where a turn writes more than the dialog's state (the start, the save):
    # an answer that moves the dialog on is one UPDATE, its last statement.
    assert savepoints == {"absent": 1, "1": 0, "today": 0, "both": 0, "Unwell": 0, "I": 0, "yes": 1}


async def test_a_placement_ended_before_the_last_answer_is_not_reported(db, clock) -> None:
    world, ours, _ = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    await chat.say("absent")
    for answer in ("1", "today", "both", "Unwell", "I"):
        out = await chat.say(answer)
    assert prompt(out)["field"] == "confirm"
    async with db.sessions() as session, session.begin():  # ended by the school meanwhile
        ended = await session.get(Placement, ours.id)
        assert ended is not None
        await end_placement(
            session,
            Change(person_id=world.teacher.id, channel="terminal", at=clock.now()),
            ended,
            ended_on=TODAY,
            outcome="other",
            return_date=None,
            reintegration_notes="Moved away",
        )
    out = await chat.say("yes")
    assert out[0]["type"] == "error" and "no longer available" in out[0]["text"], out
    assert await _records(db) == []
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WelfareCall)) == 0
