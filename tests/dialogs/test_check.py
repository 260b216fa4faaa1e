"""Tick a check, driven through the `--json` terminal channel."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, ChecklistItem, ChecklistStatus, Placement
from storage.services.audit import Change
from storage.services.placements import PlacementError, update_checklist_item
from tests.support.chat import JsonChat, prompt
from tests.support.database import Database
from tests.support.world import jamie_at_pathways


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
    world, placement = await jamie_at_pathways(db, clock)
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
    world, placement = await jamie_at_pathways(db, clock)
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
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say(f"tick check {placement.reference}")
    out = await chat.say("the kitchen sink")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "item"
    await chat.say("letter_of_assurance")
    out = await chat.say("sort of")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "outcome"
    out = await chat.say("back")
    assert prompt(out)["field"] == "item"
    await chat.say("parents_informed")
    await chat.say("not applicable")
    out = await chat.say("")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "reason"
    await chat.say("cancel")
    item = await _item(db, placement, "parents_informed")
    assert item.status == ChecklistStatus.not_done


async def test_the_letter_of_assurance_is_never_not_applicable_and_only_a_dsl_moves_it(
    db, clock
) -> None:
    """Issue 12 item 9: no "not applicable" for the Letter of Assurance; a teacher can only
    tick it; the DSL may move its due date, saying why, and the reason is in the audit log."""
    world, placement = await jamie_at_pathways(db, clock)
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    await teacher.say(f"check {placement.reference}")
    outcome = prompt(await teacher.say("letter_of_assurance"))
    assert [c["value"] for c in outcome["choices"]] == ["done"]
    refused = await teacher.say("not applicable")
    assert refused[0]["type"] == "error" and prompt(refused)["field"] == "outcome"
    await teacher.say("cancel")

    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    await dsl.say(f"check {placement.reference}")
    outcome = prompt(await dsl.say("letter_of_assurance"))
    assert [c["value"] for c in outcome["choices"]] == ["done", "new_date"]
    await dsl.say("new_date")
    why = prompt(await dsl.say("02/12/2026"))
    assert why["field"] == "why_moved" and "audit" in why["text"]
    done = (await dsl.say("Provider's HR manager is off sick; letter promised by Wednesday."))[-1]
    assert done["type"] == "done" and "02/12/2026" in done["text"]
    item = await _item(db, placement, "letter_of_assurance")
    assert item.status == ChecklistStatus.not_done and item.due_date == dt.date(2026, 12, 2)
    async with db.sessions() as session:
        audit = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "ChecklistItem",
                AuditEntry.record_id == item.id,
                AuditEntry.action == "updated",
            )
        )
        assert audit is not None and audit.person_id == world.dsl.id
        assert "HR manager is off sick" in audit.changes["why_moved"]

    # The service holds the same line, whatever calls it.
    async with db.sessions() as session, session.begin():
        stored = await session.get(ChecklistItem, item.id)
        assert stored is not None
        as_teacher = Change(person_id=world.teacher.id, channel="test", at=clock.now())
        with pytest.raises(PlacementError, match="can't be marked not applicable"):
            await update_checklist_item(
                session, as_teacher, stored, status=ChecklistStatus.not_applicable, na_reason="x"
            )
        with pytest.raises(PlacementError, match="Only the DSL"):
            await update_checklist_item(
                session,
                as_teacher,
                stored,
                status=ChecklistStatus.not_done,
                due_date=dt.date(2026, 12, 9),
                reason="later",
            )
        as_dsl = Change(person_id=world.dsl.id, channel="test", at=clock.now())
        with pytest.raises(PlacementError, match="say why"):
            await update_checklist_item(
                session,
                as_dsl,
                stored,
                status=ChecklistStatus.not_done,
                due_date=dt.date(2026, 12, 9),
            )


async def test_nothing_to_tick_and_need_to_know(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock, all_done=True)
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
