"""Tick a check, driven through the `--json` terminal channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import AuditEntry, ChecklistItem, ChecklistStatus, Placement
from tests.chat import JsonChat, prompt
from tests.conftest import Database
from tests.factories import World, build_world, place

START = dt.date(2026, 11, 2)


async def _world(db: Database, clock, *, all_done: bool = False) -> tuple[World, Placement]:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
            all_done=all_done,
        )
    return world, placement


async def _item(db: Database, placement: Placement, key: str) -> ChecklistItem:
    async with db.sessions() as session:
        item = await session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.placement_id == placement.id, ChecklistItem.key == key
            )
        )
    assert item is not None
    return item


async def test_teacher_ticks_the_letter_of_assurance(db, clock) -> None:
    world, placement = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say("tick")
    assert prompt(out)["field"] == "placement"
    items = prompt(await chat.say("1"))
    labels = {c["value"]: c["label"] for c in items["choices"]}
    assert labels["letter_of_assurance"] == "Letter of Assurance received (due 02/11/2026 OVERDUE)"
    # Only checks not yet done are offered.
    assert "absence_deadline_agreed" not in labels
    await chat.say("letter_of_assurance")
    await chat.say("done")
    done = (await chat.say("Letter dated 20/11/2026, signed by the head"))[-1]
    assert done["type"] == "done" and done["dialog"] == "check"
    assert done["text"].startswith("Ticked: Letter of Assurance received")
    assert done["record"]["status"] == "done"
    assert done["record"]["remaining"] == len(labels) - 1
    assert f"{len(labels) - 1} checks still to do" in done["text"] and "(s)" not in done["text"]
    item = await _item(db, placement, "letter_of_assurance")
    assert item.status == ChecklistStatus.done and item.due_date is None
    assert item.done_by_id == world.teacher.id and "signed by the head" in (item.evidence or "")
    async with db.sessions() as session:
        audit = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "ChecklistItem", AuditEntry.channel == "terminal"
            )
        )
        assert audit is not None and audit.action == "updated"
        assert audit.person_id == world.teacher.id and audit.record_id == item.id
        assert audit.changes["status"] == {"from": "not_done", "to": "done"}


async def test_not_applicable_needs_a_reason_and_new_dates_are_not_in_the_past(db, clock) -> None:
    world, placement = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    await chat.answer_all(
        {
            "placement": placement.reference,
            "item": "travel_provider_qa",
            "outcome": "not applicable",
            "reason": "Pupil walks; no transport arranged.",
        },
        start="check",
    )
    travel = await _item(db, placement, "travel_provider_qa")
    assert travel.status == ChecklistStatus.not_applicable and "walks" in (travel.na_reason or "")

    await chat.say(f"check {placement.reference}")
    await chat.say("parents_informed")
    out = await chat.say("3")
    assert prompt(out)["field"] == "due_date"
    for bad in ("31/02/2026", "yesterday", "01/01/2030"):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and prompt(out)["field"] == "due_date", bad
    done = (await chat.say("04/12/2026"))[-1]
    assert "Moved Parents/carers informed to 04/12/2026" in done["text"]
    parents = await _item(db, placement, "parents_informed")
    assert parents.status == ChecklistStatus.not_done and parents.due_date == dt.date(2026, 12, 4)


async def test_bad_choices_back_and_cancel(db, clock) -> None:
    world, placement = await _world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say(f"tick check {placement.reference}")
    out = await chat.say("the kitchen sink")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "item"
    await chat.say("letter_of_assurance")
    out = await chat.say("sort of")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "outcome"
    out = await chat.say("back")
    assert prompt(out)["field"] == "item"
    await chat.say("letter_of_assurance")
    await chat.say("not applicable")
    out = await chat.say("")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "reason"
    await chat.say("cancel")
    item = await _item(db, placement, "letter_of_assurance")
    assert item.status == ChecklistStatus.not_done


async def test_nothing_to_tick_and_need_to_know(db, clock) -> None:
    world, placement = await _world(db, clock, all_done=True)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    nothing = await chat.say("check")
    assert nothing[-1]["type"] == "message" and "Nothing to tick" in nothing[-1]["text"]
    by_ref = await chat.say(f"check {placement.reference}")
    assert by_ref[-1]["type"] == "message" and "Every check" in by_ref[-1]["text"]
    other = await JsonChat.as_email(db, clock, world.other_teacher.email)
    refused = await other.say(f"check {placement.reference}")
    assert refused[-1]["type"] == "error" and "can't find" in refused[-1]["text"]
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    assert "isn't available" in (await provider.say("tick"))[-1]["text"]
