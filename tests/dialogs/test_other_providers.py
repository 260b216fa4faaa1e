"""Issue 16 item 6: a pupil at more than one provider. `start` shows the pupil's other active
placements (found, not typed), the full-time total counts their real hours from their
timetables, and each provider is told which other providers are involved (reference and
provider name only, never the pupil's name), at the start and when one ends; the bot ticks
"providers told which other providers are involved" itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.clock import FixedClock
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    OutboxMessage,
    PartTimeTimetable,
    Placement,
)
from storage.services.audit import Change
from storage.services.part_time import PartTimePlan
from storage.services.placements import end_placement, find_by_reference
from tests.support.answers import full_time_answers
from tests.support.chat import JsonChat
from tests.support.database import Database
from tests.support.factories import World, build_world, place


async def _two_placements(db: Database, clock: FixedClock, world: World) -> tuple[str, str]:
    """Jamie at Wheels Workshop on Mondays and Tuesdays (12 h, 20.5 h at school), then placed
    at Pathways on Wednesday to Friday (20.5 h) through `start`: the references, first and new."""
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
        {"provider_days": "wed, thu, fri", "provider_hours": "20.5", "school_hours": "0"}
    )
    out = await chat.answer_all(answers, start="start")
    notes = " ".join(o.get("text", "") for o in chat.transcript)
    assert "Counted in the full-time total, from their timetables: " in notes
    assert f"{first.reference} at Wheels Workshop, 12 h a week" in notes
    confirm = next(o for o in reversed(chat.transcript) if o.get("field") == "confirm")
    assert (
        f"Other providers involved (each will be told): Wheels Workshop ({first.reference})"
        in (confirm["text"])
    )
    # The free-text question is gone, and so is the question of hours elsewhere.
    asked = {o.get("field") for o in chat.transcript if o["type"] == "prompt"}
    assert not asked & {"other_hours", "other_providers", "check.other_providers_told"}
    done = out[-1]
    # 20.5 h here is full time only with the other placement's real 12 h counted.
    assert done["type"] == "done" and done["record"]["is_full_time"] is True
    assert done["record"]["total_hours"] in ("32.5", "32.50")
    return first.reference, str(done["record"]["reference"])


async def _notices(db: Database, recipient_id: int) -> list[str]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage.text)
            .where(
                OutboxMessage.kind == "other_providers", OutboxMessage.recipient_id == recipient_id
            )
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def test_each_provider_is_told_the_other_by_reference_and_name_only(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    first, new = await _two_placements(db, clock, world)
    to_pathways = await _notices(db, world.provider_staff.id)
    to_wheels = await _notices(db, world.unregistered_staff.id)
    assert to_pathways == [f"{new}: the pupil also attends Wheels Workshop ({first}). Tell the "
                           "school about any concern, so the providers involved can be kept in "
                           "the picture."]  # fmt: skip
    assert len(to_wheels) == 1 and to_wheels[0].startswith(
        f"{first}: the pupil also attends Pathways AP Academy ({new})."
    )
    for text in to_pathways + to_wheels:
        assert "Jamie" not in text and "Testpupil" not in text
    async with db.sessions() as session:
        for reference in (first, new):
            placement = await find_by_reference(session, reference)
            assert placement is not None
            item = await session.scalar(
                select(ChecklistItem).where(
                    ChecklistItem.placement_id == placement.id,
                    ChecklistItem.key == "other_providers_told",
                )
            )
            assert item is not None and item.status == ChecklistStatus.done
            assert item.evidence is not None and "Told by the bot on 27/11/2026" in item.evidence
        # The first placement's total now counts the new one's real hours too.
        older = await find_by_reference(session, first)
        assert older is not None and str(older.other_hours) in ("20.5", "20.50")


async def test_when_one_ends_the_other_provider_is_told_and_the_hours_recounted(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    first, new = await _two_placements(db, clock, world)
    async with db.sessions() as session, session.begin():
        placement = await find_by_reference(session, first)
        assert placement is not None
        await end_placement(
            session,
            Change(person_id=world.teacher.id, channel="test", at=clock.now()),
            placement,
            ended_on=dt.date(2026, 11, 27),
            outcome="returned_to_school",
            return_date=None,
            reintegration_notes=None,
        )
    to_pathways = await _notices(db, world.provider_staff.id)
    assert to_pathways[-1] == (
        f"{new}: Wheels Workshop ({first}) is no longer involved. Other providers still "
        "involved: none."
    )
    assert len(await _notices(db, world.unregistered_staff.id)) == 1  # nothing more to Wheels
    async with db.sessions() as session:
        remaining = await session.scalar(select(Placement).where(Placement.reference == new))
        assert remaining is not None and str(remaining.other_hours) in ("0", "0.00")
        assert remaining.is_full_time is False  # 20.5 h on its own
        to_dsl = await session.scalar(
            select(OutboxMessage.text).where(
                OutboxMessage.kind == "other_providers", OutboxMessage.recipient_id == world.dsl.id
            )
        )
    assert to_dsl is not None and to_dsl.startswith(f"{new} is now 20.5 h of a 32.5 h week")
    assert "agree one with a parent" in to_dsl


async def test_a_new_placement_s_days_are_no_longer_c2_in_the_other_s_part_time_timetable(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        first = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.unregistered,
            start=dt.date(2026, 11, 30),
            days=("mon", "tue"),
            provider_hours="12",
            school_hours="0",
            part_time=PartTimePlan(
                parent_agreed_on=dt.date(2026, 11, 27),
                circumstances="Anxiety; building up.",
                ends_on=dt.date(2027, 1, 8),
                covered_days=["mon", "tue"],
            ),
        )
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(
        {"provider_days": "wed, thu, fri", "provider_hours": "20.5", "school_hours": "0"}
    )
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["record"]["is_full_time"] is True
    async with db.sessions() as session:
        timetable = await session.scalar(
            select(PartTimeTimetable).where(PartTimeTimetable.placement_id == first.id)
        )
        assert timetable is not None and timetable.covered_days == "mon,tue,wed,thu,fri"
        older = await session.get(Placement, first.id)
        assert older is not None and older.is_full_time  # 12 h + 20.5 h elsewhere
