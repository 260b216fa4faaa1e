"""Welfare calls after an absence, driven through the `--json` terminal channel: not reached then
reached (the absence ends as I, its history kept), not safe (the DSL alerted, the chronology
started), not reached by the end of the school day (the scheduler's escalation), and who may log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.clock import LONDON
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AuditEntry,
    ChronologyEntry,
    OutboxMessage,
    Person,
    Placement,
    RegisterSession,
    WelfareCall,
    WelfareCallAttempt,
    WelfareCallStatus,
    WelfareContact,
    WelfareEscalation,
)
from storage.rules.calendar import SchoolCalendar
from storage.services.attendance import report_absence
from storage.services.audit import Change
from storage.services.digest import build_digest
from storage.services.lifecycle import misattributed_entries
from storage.services.welfare import escalate_unreached, unreached_welfare_calls
from tests.support.answers import report_n
from tests.support.chat import JsonChat, prompt
from tests.support.database import Database
from tests.support.world import jamie_at_pathways


async def _rows(db: Database, model):  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def test_not_reached_then_parent_says_ill_so_i_is_proposed_to_the_school(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    await report_n(db, clock, world)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)

    # First try, 10:15: nobody answers. A time still to come is refused and asked again.
    clock.advance(dt.timedelta(minutes=15))
    first = await chat.say("welfare")
    assert prompt(first)["field"] == "call"
    assert placement.reference in prompt(first)["choices"][0]["label"]
    await chat.say("1")
    out = await chat.say("10:40")
    assert out[0]["type"] == "error" and "still to come" in out[0]["text"]
    assert prompt(out)["field"] == "called_at"
    await chat.say("")  # now: 10:15
    out = await chat.say("nobody")
    assert prompt(out)["field"] == "next_try" and "10:45" in prompt(out)["text"]
    out = await chat.say("10:00")  # before the call: refused
    assert out[0]["type"] == "error" and prompt(out)["field"] == "next_try"
    confirm = prompt(await chat.say(""))
    assert "stays open" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and done["record"]["closed"] is False
    assert "next try at 10:45" in done["text"]

    [call] = await _rows(db, WelfareCall)
    assert call.status == WelfareCallStatus.open
    [attempt] = await _rows(db, WelfareCallAttempt)
    assert attempt.spoke_to == WelfareContact.not_reached
    assert attempt.next_attempt_at == dt.datetime(2026, 11, 27, 10, 45, tzinfo=LONDON)
    assert attempt.made_by_id == world.provider_staff.id

    # Second try, 10:50: Mum answers; Jamie is ill, heard in the background, safe.
    clock.advance(dt.timedelta(minutes=35))
    # Picked by its reference: the first question is the time.
    out = await chat.answer_all(
        {
            "called_at": "10:50",
            "spoke_to": "parent",
            "seen": "yes",
            "safe": "yes",
            "reason": "Mum says he is ill with a temperature",
            "code": "I",
            "next_step": "none",
            "confirm": "yes",
        },
        start=f"welfare {placement.reference}",
    )
    done = out[-1]
    assert done["type"] == "done" and done["record"]["closed"] is True
    # I (illness) is the school's to authorise: the provider's finding is a proposal.
    assert "You proposed I: only the school may set that code" in done["text"]

    records = await _rows(db, AttendanceRecord)
    assert [(r.session, r.code, r.proposed_code) for r in records] == [
        (RegisterSession.am, "N", "I"),
        (RegisterSession.pm, "N", "I"),
    ]
    assert await _rows(db, AttendanceChange) == []
    [proposal] = [m for m in await _rows(db, OutboxMessage) if m.kind == "code_proposed"]
    assert proposal.recipient_id == world.dsl.id and "proposes I: Illness" in proposal.text
    [call] = await _rows(db, WelfareCall)
    assert call.status == WelfareCallStatus.done and call.done_by_id == world.provider_staff.id
    assert "spoke to a parent/carer" in (call.outcome or "")
    assert len(await _rows(db, WelfareCallAttempt)) == 2
    # The DSL sets it with `explain`: then the history has the change, from N to I.
    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    out = await dsl.say(f"explain {placement.reference}")
    assert "(the provider proposes I)" in prompt(out)["choices"][0]["label"]
    for answer in ("1", "I", "Mum confirmed it to us"):
        await dsl.say(answer)
    done = (await dsl.say("yes"))[-1]
    assert "now I: Illness" in done["text"]
    records = await _rows(db, AttendanceRecord)
    assert [(r.code, r.proposed_code) for r in records] == [("I", None), ("I", None)]
    history = await _rows(db, AttendanceChange)
    assert [(h.from_code, h.to_code, h.changed_by_id) for h in history] == [
        ("N", "I", world.dsl.id),
        ("N", "I", world.dsl.id),
    ]
    # Nothing alarming: no escalation, no chronology.
    assert await _rows(db, WelfareEscalation) == []
    assert await _rows(db, ChronologyEntry) == []


async def test_not_safe_alerts_the_dsl_at_once_and_starts_the_chronology(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    await report_n(db, clock, world)
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    # Step by step, to see a bad answer asked again.
    await chat.say("welfare")
    await chat.say("1")
    await chat.say("")
    await chat.say("pupil")
    await chat.say("yes")
    out = await chat.say("maybe")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "safe"
    await chat.say("no")
    await chat.say("He says he has been told to stay home and sounded scared")
    out = await chat.say("")  # keeps N: nobody knows the reason yet
    assert prompt(out)["field"] == "next_step"
    confirm = prompt(await chat.say("police"))
    assert "the DSL will be alerted at once" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done"
    assert "The DSL has been alerted at once" in done["text"]
    assert set(done["record"]["escalated"]) == {"not_safe", "police_or_social_care"}

    async with db.sessions() as session:
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "welfare_alert")
            )
        )
        assert {a.recipient_id for a in alerts} == {world.dsl.id}
        assert any("NOT known to be safe" in a.text for a in alerts)
        assert all(a.text.startswith("URGENT welfare call: Jamie Testpupil") for a in alerts)
        entries = list(await session.scalars(select(ChronologyEntry)))
        assert entries and all(e.pupil_id == world.pupil.id for e in entries)
        assert any("NOT known to be safe" in e.text for e in entries)
        # Our words, so the system's entry (issue 12 item 14); the audit log says who acted.
        assert all(e.recorded_by_id is None and e.automatic for e in entries)
        made = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.record_type == "ChronologyEntry", AuditEntry.action == "created"
                )
            )
        )
        assert made and all(a.person_id == world.provider_staff.id for a in made)
        assert await misattributed_entries(session) == []
        escalations = list(await session.scalars(select(WelfareEscalation)))
        assert {e.chronology_entry_id for e in escalations} == {e.id for e in entries}
        # The code stays N: the reason is not established.
        codes = [r.code for r in await session.scalars(select(AttendanceRecord))]
        assert codes == ["N", "N"]
        call = await session.scalar(select(WelfareCall))
        assert call is not None and call.status == WelfareCallStatus.done
    assert placement.reference


async def test_not_reached_by_the_end_of_the_school_day_goes_to_the_dsl_once(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    await report_n(db, clock, world)
    async with db.sessions() as session:
        before = await unreached_welfare_calls(
            session, now=dt.datetime(2026, 11, 27, 15, 29, tzinfo=LONDON)
        )
        assert before == []
    at = dt.datetime(2026, 11, 27, 15, 31, tzinfo=LONDON)
    change = Change(person_id=None, channel="scheduler", at=at)
    async with db.sessions() as session, session.begin():
        assert [c.placement_id for c in await unreached_welfare_calls(session, now=at)] == [
            placement.id
        ]
        raised = await escalate_unreached(session, change, now=at)
        assert len(raised) == 1
    async with db.sessions() as session, session.begin():  # a second run: nothing new
        assert await escalate_unreached(session, change, now=at) == []
        assert await unreached_welfare_calls(session, now=at) == []
    async with db.sessions() as session:
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "welfare_alert")
            )
        )
        assert [a.recipient_id for a in alerts] == [world.dsl.id]
        assert "nobody was reached by the end of the school day" in alerts[0].text
        [entry] = list(await session.scalars(select(ChronologyEntry)))
        assert entry.text.startswith("Recorded automatically by AP Safeguard.")
        # Issue 12 item 14: written by the system, never in the DSL's name.
        assert entry.recorded_by_id is None and entry.automatic
        assert await misattributed_entries(session) == []
        # The DSL's next digest shows it as the system's.
        dsl = await session.get(Person, world.dsl.id)
        assert dsl is not None
        digest = await build_digest(
            session,
            dsl,
            now=dt.datetime(2026, 11, 28, 8, 0, tzinfo=LONDON),
            calendar=SchoolCalendar(),
        )
        assert "(AP Safeguard, automatic)" in digest.text, digest.text


async def test_only_whoever_was_agreed_and_the_dsl_may_log_the_call(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    await report_n(db, clock, world)
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await teacher.say("welfare")
    assert out[-1]["type"] == "message" and "no open welfare calls" in out[-1]["text"]
    other = await JsonChat.as_email(db, clock, world.unregistered_staff.email)
    out = await other.say(f"welfare {placement.reference}")
    assert out[-1]["type"] == "error" and "can't find an open welfare call" in out[-1]["text"]
    other_dsl = await JsonChat.as_email(db, clock, world.other_dsl.email)
    assert (await other_dsl.say("welfare"))[-1]["type"] == "message"
    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    out = await dsl.say("welfare")
    assert prompt(out)["field"] == "call" and len(prompt(out)["choices"]) == 1


async def test_a_call_logged_days_later_records_its_own_day_and_never_a_past_next_try(
    db, clock
) -> None:
    """Issue 12 item 11: a call about Wednesday 25/11 logged on Friday 27/11 asks which day it
    was made and records that day; "nobody reached" proposes a next try from now, not in the
    past (it used to propose 25/11's time + 30 minutes, stamped today)."""
    world, placement = await jamie_at_pathways(db, clock)
    async with db.sessions() as session, session.begin():
        stored = await session.get(Placement, placement.id)
        assert stored is not None
        await report_absence(
            session,
            Change(person_id=world.provider_staff.id, channel="test", at=clock.now()),
            placement=stored,
            date=dt.date(2026, 11, 25),
            sessions=[RegisterSession.am, RegisterSession.pm],
            code="N",
            reason="not known",
        )
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    asked = prompt(await chat.say(f"welfare {placement.reference}"))
    assert asked["field"] == "called_on" and "Which day" in asked["text"]
    out = await chat.say("24/11/2026")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "called_on"
    time = prompt(await chat.say("25/11/2026"))
    assert time["field"] == "called_at" and "25/11/2026" in time["text"]
    await chat.say("10:15")  # on 25/11: not "still to come", though it is 10:00 now
    retry = prompt(await chat.say("nobody"))
    assert retry["field"] == "next_try" and "10:30" in retry["text"]  # now + 30 minutes
    out = await chat.say("09:00")
    assert out[0]["type"] == "error" and "has passed" in out[0]["text"]
    confirm = prompt(await chat.say(""))
    assert "Called 25/11/2026 at 10:15" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and "on 25/11/2026" in done["text"]
    [attempt] = await _rows(db, WelfareCallAttempt)
    assert attempt.called_at == dt.datetime(2026, 11, 25, 10, 15, tzinfo=LONDON)
    assert attempt.next_attempt_at == dt.datetime(2026, 11, 27, 10, 30, tzinfo=LONDON)
