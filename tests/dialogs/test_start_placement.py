"""Start placement, driven through the `--json` terminal channel as a script would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storage.models import (
    AuditEntry,
    ChecklistItem,
    ChecklistStatus,
    DialogState,
    OutboxMessage,
    Placement,
    Pupil,
)
from tests.support.answers import PART_TIME_AGREED, full_time_answers
from tests.support.chat import JsonChat, prompt, texts
from tests.support.factories import build_world, place


async def test_teacher_starts_a_full_time_placement(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.answer_all(
        full_time_answers(world.pupil.id, world.provider.id), start="start placement"
    )
    done = out[-1]
    assert done["type"] == "done" and done["dialog"] == "start"
    reference = done["record"]["reference"]
    assert reference.startswith("AP-") and len(reference) == 7
    assert done["record"]["is_full_time"] is True
    assert done["record"]["due_checks"] == ["letter_of_assurance"]
    assert "Full-time" in texts(chat.transcript)

    async with db.sessions() as session:
        placement = await session.scalar(select(Placement).where(Placement.reference == reference))
        assert placement is not None
        assert placement.pupil_id == world.pupil.id
        assert placement.commissioner_id == world.school.id
        assert placement.attendance_code == "D"  # an AP academy: dual registration suggested
        assert f"{placement.absence_deadline:%H:%M}" == "09:30"
        assert placement.days == ["mon", "tue", "wed", "thu", "fri"]
        assert placement.site is not None and placement.site.name == "Main site"
        items = {
            i.key: i
            for i in await session.scalars(
                select(ChecklistItem).where(ChecklistItem.placement_id == placement.id)
            )
        }
        # Not FSM-eligible and no other providers: those items don't apply.
        assert "fsm_arranged" not in items and "other_providers_told" not in items
        loa = items["letter_of_assurance"]
        assert loa.status == ChecklistStatus.not_done and str(loa.due_date) == "2026-11-30"
        assert loa.owner_id == world.teacher.id
        travel = items["travel_provider_qa"]
        assert travel.status == ChecklistStatus.not_applicable and "walks" in (
            travel.na_reason or ""
        )
        assert items["full_time_provision"].status == ChecklistStatus.done
        assert (
            items["absence_deadline_agreed"].evidence
            and "09:30" in items["absence_deadline_agreed"].evidence
        )
        # Every change audited, by the teacher, from the terminal.
        audit = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.placement_id == placement.id))
        )
        assert {(a.record_type, a.action) for a in audit} >= {
            ("Placement", "created"),
            ("ChecklistItem", "created"),
        }
        assert all(a.person_id == world.teacher.id and a.channel == "terminal" for a in audit)
        assert len([a for a in audit if a.record_type == "ChecklistItem"]) == len(items)
        # The provider is told the reference only; the DSL is told in full.
        notices = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.placement_id == placement.id)
            )
        )
        to_provider = [n for n in notices if n.recipient_id == world.provider_staff.id]
        to_dsl = [n for n in notices if n.recipient_id == world.dsl.id]
        assert len(to_provider) == 1 and reference in to_provider[0].text
        assert "Jamie" not in to_provider[0].text and "Testpupil" not in to_provider[0].text
        assert len(to_dsl) == 1 and "Jamie Testpupil" in to_dsl[0].text
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0


async def test_part_time_at_unregistered_provider_warns_and_needs_review(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.fsm_pupil.id, world.unregistered.id)
    answers.update(PART_TIME_AGREED)
    answers.update(
        {
            "planned_end_date": "30/04/2027",
            "provider_days": "mon, tue, wed",
            "provider_sessions": "",
            "provider_hours": "15",
            "school_hours": "10",
            "check.fsm_arranged": "done",
            "attendance_code": "B",
        }
    )
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["type"] == "done"
    warnings = [o["text"] for o in chat.transcript if o.get("level") == "warning"]
    assert any("NOT registered" in w for w in warnings)
    assert any("6 sessions a week" in w and "2 days (4 sessions) a week" in w for w in warnings)
    assert any("Part-time" in w for w in warnings)
    async with db.sessions() as session:
        placement = await session.scalar(
            select(Placement)
            .where(Placement.reference == out[-1]["record"]["reference"])
            .options(selectinload(Placement.checklist))
        )
        assert placement is not None and not placement.is_full_time
        assert str(placement.review_date) == "2027-01-08"
        items = {i.key: i for i in placement.checklist}
        assert items["fsm_arranged"].status == ChecklistStatus.done
        assert items["full_time_provision"].status == ChecklistStatus.not_done
        assert str(items["full_time_provision"].due_date) == "2027-01-08"


async def test_new_pupil_bad_answers_reasked_and_cancel_saves_nothing(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    first = prompt(await chat.say("start"))
    assert first["field"] == "pupil" and first["kind"] == "choice"
    # Another school's pupil is not offered.
    assert all("Casey" not in c["label"] for c in first["choices"])
    out = await chat.say("99")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "pupil"
    assert prompt(await chat.say("Add a new pupil"))["field"] == "first_name"
    out = await chat.say("   ")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "first_name"
    out = await chat.say("x" * 10_000)
    assert out[0]["type"] == "error" and "characters" in out[0]["text"]
    assert prompt(await chat.say("Robert'); DROP TABLE pupils;--"))["field"] == "last_name"
    assert prompt(await chat.say("Tables 🙂"))["field"] == "year_group"
    out = await chat.say("year 99")
    assert out[0]["type"] == "error"
    assert prompt(await chat.say("Y9"))["field"] == "upn"
    out = await chat.say("back")
    assert prompt(out)["field"] == "year_group"
    assert prompt(await chat.say("9"))["field"] == "upn"
    assert prompt(await chat.say("skip"))["field"] == "flags"
    assert prompt(await chat.say("none"))["field"] == "reason"
    assert prompt(await chat.say("medical"))["field"] == "provider"
    assert prompt(await chat.say(f"provider-{world.provider.id}"))["field"] == "site"
    assert prompt(await chat.say("1"))["field"] == "start_date"
    out = await chat.say("31/02/2026")
    assert out[0]["type"] == "error" and "not a real date" in out[0]["text"]
    out = await chat.say("cancel")
    assert out[-1]["type"] == "message" and "Nothing was saved" in out[-1]["text"]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Placement)) == 0
        assert await session.scalar(select(func.count()).select_from(Pupil)) == 3
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0


async def test_new_pupil_placement_stores_the_pupil_literally(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    answers = full_time_answers(0, world.provider.id)
    answers.update(
        {
            "pupil": "new",
            "first_name": "Robert'); DROP TABLE pupils;--",
            "last_name": "Tables 🙂",
            "year_group": "Y7",
            "upn": "a123456789012",
            "flags": "1, looked-after child",
            "check.fsm_arranged": "not yet",
            "check.fsm_arranged.due": "tomorrow",
        }
    )
    out = await chat.answer_all(answers, start="new placement")
    assert out[-1]["type"] == "done"
    async with db.sessions() as session:
        # The UPN is encrypted at rest: found among the pupils, not by a query on it.
        pupils = (await session.scalars(select(Pupil))).all()
        pupil = next((p for p in pupils if p.upn == "A123456789012"), None)
        assert pupil is not None
        assert pupil.first_name == "Robert'); DROP TABLE pupils;--"
        assert pupil.year_group == 7 and pupil.upn == "A123456789012"
        assert pupil.fsm_eligible and pupil.looked_after and not pupil.ehcp
        placement = await session.scalar(
            select(Placement)
            .where(Placement.pupil_id == pupil.id)
            .options(selectinload(Placement.checklist))
        )
        assert placement is not None
        fsm = next(i for i in placement.checklist if i.key == "fsm_arranged")
        assert str(fsm.due_date) == "2026-11-28"


async def test_restart_mid_dialog_loses_nothing(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say("start")
    await chat.say(str(world.pupil.id))
    # A new channel object (as after a restart of the bot) picks up where it was.
    again = await JsonChat.as_email(db, clock, world.teacher.email)
    waiting = await again.channel.runner.active_prompt(
        world.teacher.id, conversation=f"terminal:{world.teacher.id}", channel="terminal"
    )
    assert waiting is not None and waiting.field == "reason"


async def test_provider_and_admin_cannot_start_a_placement(db, clock) -> None:
    world = await build_world(db, clock)
    for email in (world.provider_staff.email, world.admin.email):
        chat = await JsonChat.as_email(db, clock, email)
        out = await chat.say("start")
        assert out[0]["type"] == "error" and "isn't available" in out[0]["text"]


async def _answer_with_refusals(
    chat: JsonChat, answers: dict[str, str], refused: dict[str, list[tuple[str, str]]]
) -> list[dict]:
    """Start `start`; at each field in `refused`, first send each bad answer and check it is
    refused with the words given (and the same question asked again); then answer properly."""
    out = await chat.say("start")
    for _ in range(200):
        last = out[-1]
        if last["type"] != "prompt":
            return out
        field = last["field"]
        for bad, words in refused.pop(field, []):
            again = await chat.say(bad)
            assert again[0]["type"] == "error", (field, bad, again)
            assert words in again[0]["text"], (field, bad, again[0]["text"])
            assert prompt(again)["field"] == field
        assert field in answers, f"unexpected prompt {field!r}: {last['text']}"
        out = await chat.say(answers[field])
        errors = [o for o in out if o["type"] == "error"]
        assert not errors, f"refused: {errors} at {field}"
    raise AssertionError("dialog did not finish")


async def test_start_refuses_what_would_make_the_safeguarding_picture_wrong(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.fsm_pupil.id, world.unregistered.id)
    answers.update(PART_TIME_AGREED)
    answers.update(
        {
            "provider_days": "mon, tue",
            "provider_sessions": "3",  # two mornings and an afternoon
            "provider_hours": "12",
            "school_hours": "19.5",
            "part_time_ends": "05/02/2027",
            "review_date": "05/02/2027",
            "check.fsm_arranged": "done",
            "attendance_code": "B",
            "check.letter_of_assurance.due": "30/11/2026",
        }
    )
    refused = {
        "provider_sessions": [("5", "2 to 4 sessions")],
        "provider_hours": [
            ("0", "0 hours"),
            ("13", "more than they can hold"),
        ],
        "school_hours": [("30", "more than a school week can hold")],
        "review_date": [("01/03/2027", "on or before the planned end (05/02/2027)")],
        "attendance_code": [("D", "isn't a school")],
        "absence_deadline": [("17:00", "17:00 is too late")],
        "welfare_call_arrangements": [("skip", "can't be skipped"), ("-", "can't be skipped")],
        "check.letter_of_assurance.due": [("01/11/2026", "can't be due in the past")],
    }
    out = await _answer_with_refusals(chat, answers, refused)
    assert not refused, f"never asked: {list(refused)}"
    done = out[-1]
    assert done["type"] == "done" and done["record"]["is_full_time"] is False
    async with db.sessions() as session:
        placement = await session.scalar(
            select(Placement).where(Placement.reference == done["record"]["reference"])
        )
        assert placement is not None
        assert placement.attendance_code == "B"
        assert (
            placement.welfare_call_arrangements
            == full_time_answers(0, 0)["welfare_call_arrangements"]
        )
        assert f"{placement.absence_deadline:%H:%M}" == "09:30"


async def test_hours_on_one_day_cannot_make_a_week_full_time(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update({"provider_days": "mon", "provider_hours": "8", "school_hours": "7.5"})
    refused = {"provider_hours": [("25", "more than a school day can hold"), ("60", "at most 8")]}
    answers.update(PART_TIME_AGREED)
    out = await _answer_with_refusals(chat, answers, refused)
    assert out[-1]["type"] == "done" and out[-1]["record"]["is_full_time"] is False


async def test_a_pupil_already_placed_is_warned_and_those_hours_count(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        first = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.unregistered,
            start=dt.date(2026, 11, 2),
            days=("mon", "tue"),
            provider_hours="12",
            school_hours="20.5",
        )
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(
        {
            "provider_days": "wed, thu, fri",
            "provider_hours": "20.5",
            "school_hours": "0",
        }
    )
    out = await chat.answer_all(answers, start="start")
    warnings = [o["text"] for o in chat.transcript if o.get("level") == "warning"]
    assert any(
        "already has an active placement" in w and first.reference in w and "12 h a week" in w
        for w in warnings
    )
    done = out[-1]
    # 20.5 h here is full time only with the other placement's 12 h counted.
    assert done["type"] == "done" and done["record"]["is_full_time"] is True
    async with db.sessions() as session:
        placement = await session.scalar(
            select(Placement).where(Placement.reference == done["record"]["reference"])
        )
        assert placement is not None
        assert str(placement.other_hours) in ("12", "12.00")
        assert placement.other_providers is None  # no longer free text: found, not typed


async def test_the_save_message_reads_right_for_no_checks_left_and_for_the_dsl(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers["check.letter_of_assurance"] = "done"
    answers["check.letter_of_assurance.evidence"] = "Letter of 20/11/2026, signed by the head."
    out = await chat.answer_all(answers, start="start")
    text = out[-1]["text"]
    assert "0 check" not in text and "check(s)" not in text
    assert "Every check is done or not applicable." in text
    assert "your DSL has been told" not in text
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.fsm_pupil.id, world.provider.id)
    answers["check.fsm_arranged"] = "done"
    out = await teacher.answer_all(answers, start="start")
    assert "1 check is still to do" in out[-1]["text"]
    assert "your DSL has been told" in out[-1]["text"]


async def test_an_la_place_at_an_ap_academy_is_suggested_d_and_k_elsewhere(db, clock) -> None:
    """K is not right whenever the LA commissions: at a school (dual registration) it is D."""
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.la_officer.email)
    await chat.say("start")
    for answer in ("Add a new pupil", "Alex", "Example", "10", "skip", "none"):
        await chat.say(answer)
    answers = full_time_answers(0, world.provider.id)
    out = await chat.say(answers["provider"])
    while prompt(out)["field"] != "attendance_code":
        out = await chat.say(answers[prompt(out)["field"]])
    assert prompt(out)["default"] == "D" and "(blank for D)" in prompt(out)["text"]
    # K at a school is a judgement: allowed, with a warning naming the rule.
    out = await chat.say("K")
    assert prompt(out)["field"] == "absence_deadline"
    assert any(o.get("level") == "warning" and "the code is D" in o["text"] for o in out)
    await chat.say("cancel")

    await chat.say("start")
    for answer in ("Add a new pupil", "Alex", "Example", "10", "skip", "none"):
        await chat.say(answer)
    answers = full_time_answers(0, world.unregistered.id)
    answers.update({"provider_sessions": "", "school_hours": "7.5"})
    out = await chat.say(answers["provider"])
    while prompt(out)["field"] != "attendance_code":
        field = prompt(out)["field"]
        out = await chat.say(answers.get(field, "01/02/2027"))
    assert prompt(out)["default"] == "K"
    refused = await chat.say("D")
    assert refused[0]["type"] == "error" and "isn't a school" in refused[0]["text"]


async def test_a_placement_planned_to_end_before_the_new_start_is_not_counted(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.unregistered,
            start=dt.date(2026, 9, 7),  # planned to end 16/11/2026
            days=("mon", "tue"),
            provider_hours="12",
            school_hours="20.5",
        )
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    out = await chat.say("start")
    while prompt(out)["field"] != "school_hours":
        out = await chat.say(answers[prompt(out)["field"]])
    assert not any("Counted in the full-time total" in o.get("text", "") for o in out)


async def test_a_pupil_recorded_in_reception_is_not_placed(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        pupil = await session.get(Pupil, world.pupil.id)
        assert pupil is not None
        pupil.year_group = 0
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say("start")
    out = await chat.say(f"pupil-{world.pupil.id}")
    assert out[0]["type"] == "error" and "Reception" in out[0]["text"]
    assert prompt(out)["field"] == "pupil"
    out = await chat.say("Add a new pupil")
    for answer in ("Alex", "Example"):
        out = await chat.say(answer)
    for typed in ("R", "0", "15"):
        refused = await chat.say(typed)
        assert refused[0]["type"] == "error" and prompt(refused)["field"] == "year_group"


async def test_checklist_counts_agree_in_every_view(db, clock) -> None:
    """Issue 12 item 15: the start summary, the save message, `status` and the governors'
    report count the same way (not applicable is not "to do"; the full-time check of a
    part-time timetable is to do, though the dialog settles it itself)."""
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(
        {
            "start_date": "23/11/2026",
            "provider_hours": "15",
            "school_hours": "10",
            **PART_TIME_AGREED,
        }
    )
    out = await chat.answer_all(answers, start="start")
    confirm = next(
        o for o in reversed(chat.transcript) if o["type"] == "prompt" and o["field"] == "confirm"
    )
    done = out[-1]
    reference = done["record"]["reference"]
    # Letter of Assurance not yet, and full-time provision (part-time): 2 to do; travel n/a.
    assert "still to do (they become due checks), 1 not applicable" in confirm["text"]
    planned = confirm["text"].split("Checklist: ")[1].split(" done, ")
    done_count, to_do = int(planned[0]), int(planned[1].split(" ")[0])
    assert to_do == 2
    assert f"{to_do} checks are still to do" in done["text"]
    status = (await chat.say(f"status {reference}"))[-1]["text"]
    assert (
        f"Checklist: {done_count} of {done_count + to_do} done, {to_do} to do, 1 not applicable"
        in status
    )
    report = (await chat.say("report governors this term"))[-1]
    csv = next(f for f in report["files"] if f["path"].endswith(".csv"))
    row = _read(csv["path"]).splitlines()[1].split(",")
    header = _read(csv["path"]).splitlines()[0].split(",")
    assert row[header.index("checklist_done")] == str(done_count)
    assert row[header.index("checklist_total")] == str(done_count + to_do)
    pct = round(100 * done_count / (done_count + to_do))
    assert f"checklist {pct}% complete" in report["text"]


def _read(path: str) -> str:
    return Path(path).read_text()
