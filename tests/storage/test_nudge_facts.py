"""The scheduler reads only the placements with something due (the candidates): one with
nothing due is not read and gets no nudge; one with each kind of thing due is read and gets
its nudge; pupils' names are read only for the nudges written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON, FixedClock
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    ChecklistItem,
    ChecklistStatus,
    Contact,
    ContactMethod,
    ContactWith,
    Placement,
    RegisterSession,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.rules.nudges import NudgeTimes, due_nudges
from storage.services.chunks import chunks
from storage.services.nudge_facts import UNNAMED, gather_facts, name_fresh, with_pupil_names
from tests.support.database import Database
from tests.support.factories import World, build_world, place

TUESDAY = dt.date(2027, 3, 2)
START = dt.date(2027, 1, 11)
AT = dt.datetime.combine(TUESDAY, dt.time(9, 45), tzinfo=LONDON)


def _day(month: int, day: int) -> dt.date:
    return dt.date(2027, month, day)


async def _mark(session: AsyncSession, p: Placement, world: World, day: dt.date, code: str) -> None:
    absent = code != "B"
    session.add(
        AttendanceRecord(
            placement_id=p.id, date=day, session=RegisterSession.am,
            status=AttendanceStatus.absent if absent else AttendanceStatus.present, code=code,
            reported_by_id=world.provider_staff.id,
            reported_at=dt.datetime.combine(day, dt.time(9, 5), tzinfo=LONDON),
        )
    )  # fmt: skip


async def _quiet(
    session: AsyncSession, clock: FixedClock, world: World, **kwargs: object
) -> Placement:
    """A placement with nothing due on Tuesday 2 March at 09:45: every check done, the next QA
    visit a month away, a contact yesterday, today's register in."""
    p = await place(session, clock, provider=world.provider, start=START, all_done=True, **kwargs)  # type: ignore[arg-type]
    await session.execute(
        update(Placement).where(Placement.id == p.id).values(next_qa_due=_day(4, 1))
    )
    session.add(
        Contact(placement_id=p.id, contact_date=_day(3, 1), person_id=p.created_by_id,
                method=ContactMethod.phone, summary="Settled.", created_at=clock.now())
    )  # fmt: skip
    await _mark(session, p, world, TUESDAY, "B")
    return p


async def _make_due(session: AsyncSession, p: Placement, world: World, kind: str) -> None:
    """Give the placement one thing due (its kind is the nudge expected)."""
    values: dict[str, object] = {}
    if kind == "check_overdue":
        await session.execute(
            update(ChecklistItem)
            .where(ChecklistItem.placement_id == p.id, ChecklistItem.key == "parents_informed")
            .values(status=ChecklistStatus.not_done, due_date=_day(2, 20))
        )
    elif kind == "letter_of_assurance_missing":
        # Its due date moved on: the DSL still hears of it, the pupil attends without it.
        await session.execute(
            update(ChecklistItem)
            .where(ChecklistItem.placement_id == p.id, ChecklistItem.key == "letter_of_assurance")
            .values(status=ChecklistStatus.not_done, due_date=_day(3, 20))
        )
    elif kind == "qa_due":
        values = {"next_qa_due": _day(3, 5)}
    elif kind == "qa_overdue":
        values = {"next_qa_due": _day(2, 25)}
    elif kind == "contact_overdue":
        await session.execute(
            update(Contact).where(Contact.placement_id == p.id).values(contact_date=_day(2, 20))
        )
    elif kind == "review_soon":
        values = {"review_date": _day(3, 10)}
    elif kind == "ending_soon":
        values = {"planned_end_date": _day(3, 10)}
    elif kind == "part_time_review":
        # A week short of full time (no school hours), its review past.
        values = {"is_full_time": False, "school_hours": Decimal(0), "review_date": _day(2, 26)}
    elif kind == "no_report":
        await session.execute(
            AttendanceRecord.__table__.delete().where(AttendanceRecord.placement_id == p.id)
        )
    elif kind == "welfare_overdue":
        session.add(
            WelfareCall(placement_id=p.id, absence_date=TUESDAY, party=WelfareCallParty.provider,
                        status=WelfareCallStatus.open,
                        created_at=dt.datetime.combine(TUESDAY, dt.time(7, 30), tzinfo=LONDON))
        )  # fmt: skip
    elif kind == "cme_risk":
        for day in (_day(2, 25), _day(2, 26), _day(3, 1)):
            await _mark(session, p, world, day, "N")
    if values:
        await session.execute(update(Placement).where(Placement.id == p.id).values(**values))


KINDS = [
    "check_overdue", "letter_of_assurance_missing", "qa_due", "qa_overdue", "contact_overdue", "review_soon", "ending_soon",
    "part_time_review", "no_report", "welfare_overdue", "cme_risk",
]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
async def test_only_the_placement_with_something_due_is_read_and_nudged(
    db: Database, clock: FixedClock, kind: str
) -> None:
    clock.set(dt.datetime(2027, 1, 4, 9, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        quiet = await _quiet(session, clock, world, by=world.teacher, pupil=world.pupil)
        busy = await _quiet(session, clock, world, by=world.dsl, pupil=world.fsm_pupil)
        await _make_due(session, busy, world, kind)

    async with db.sessions() as session:
        facts = await gather_facts(session, AT, NudgeTimes())
    assert [p.id for p in facts.placements] == [busy.id]
    assert all(p.pupil_name == UNNAMED for p in facts.placements)  # read once a nudge is new
    nudges = due_nudges(facts)
    assert kind in {n.kind for n in nudges}
    assert {n.placement_id for n in nudges} == {busy.id}
    assert quiet.id not in {p.id for p in facts.placements}


async def test_a_contact_with_a_parent_or_the_pupil_is_not_the_weekly_contact(
    db: Database, clock: FixedClock
) -> None:
    """The weekly interaction the guidance asks for is with the provider: calls with a parent
    and the pupil yesterday leave the provider contact overdue (the last one on 20 February)."""
    clock.set(dt.datetime(2027, 1, 4, 9, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        busy = await _quiet(session, clock, world, by=world.dsl, pupil=world.fsm_pupil)
        await _make_due(session, busy, world, "contact_overdue")
        for with_whom in (ContactWith.parent_carer, ContactWith.pupil):
            session.add(
                Contact(placement_id=busy.id, contact_date=_day(3, 1), person_id=world.dsl.id,
                        with_whom=with_whom, method=ContactMethod.phone, summary="Fine.",
                        created_at=clock.now())
            )  # fmt: skip
    async with db.sessions() as session:
        facts = await with_pupil_names(
            session, await gather_facts(session, AT, NudgeTimes()), [busy.id]
        )
    [placement] = facts.placements
    assert placement.last_contact == _day(2, 20)
    [nudge] = [n for n in due_nudges(facts) if n.kind == "contact_overdue"]
    assert "20/02" in nudge.text, nudge.text


async def test_names_are_read_for_the_nudges_written(db: Database, clock: FixedClock) -> None:
    clock.set(dt.datetime(2027, 1, 4, 9, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        busy = await _quiet(session, clock, world, by=world.dsl, pupil=world.fsm_pupil)
        await _make_due(session, busy, world, "qa_overdue")
    async with db.sessions() as session:
        facts = await with_pupil_names(
            session, await gather_facts(session, AT, NudgeTimes()), [busy.id]
        )
    [nudge] = due_nudges(facts)
    assert "Robin Mealsworth" in nudge.text


async def test_the_rules_run_once_and_the_new_nudges_are_named(
    db: Database, clock: FixedClock
) -> None:
    """As a pass does it: the rules over the unnamed facts, then the names read for the new
    nudges and put in their texts, as the rules would have written them with the names."""
    clock.set(dt.datetime(2027, 1, 4, 9, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        busy = await _quiet(session, clock, world, by=world.dsl, pupil=world.fsm_pupil)
        await _make_due(session, busy, world, "qa_overdue")
    async with db.sessions() as session:
        facts = await gather_facts(session, AT, NudgeTimes())
        [named] = await name_fresh(session, facts, due_nudges(facts))
        by_the_rules = due_nudges(await with_pupil_names(session, facts, [busy.id]))
    assert "Robin Mealsworth" in named.text and UNNAMED not in named.text
    assert [named] == by_the_rules


async def test_a_register_prompt_still_counts_a_reported_pupils_earlier_deadline(
    db: Database, clock: FixedClock
) -> None:
    """Pathways has two pupils today: one reported, deadline 09:00; one not, deadline 10:00.
    The prompt goes out from 08:30 (30 minutes before the first deadline) and stops at 09:00,
    although only the unreported pupil has something due."""
    clock.set(dt.datetime(2027, 1, 4, 9, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        early = await _quiet(session, clock, world, by=world.teacher, pupil=world.pupil)
        late = await _quiet(session, clock, world, by=world.dsl, pupil=world.fsm_pupil)
        await _make_due(session, late, world, "no_report")
        for p, deadline in ((early, dt.time(9, 0)), (late, dt.time(10, 0))):
            await session.execute(
                update(Placement).where(Placement.id == p.id).values(absence_deadline=deadline)
            )

    async def prompts(hour: int, minute: int) -> list[str]:
        at = dt.datetime.combine(TUESDAY, dt.time(hour, minute), tzinfo=LONDON)
        async with db.sessions() as session:
            facts = await gather_facts(session, at, NudgeTimes())
        assert [p.id for p in facts.placements] == [late.id]
        return [n.text for n in due_nudges(facts) if n.kind == "register_prompt"]

    [text] = await prompts(8, 40)
    assert late.reference in text and early.reference not in text
    assert await prompts(9, 10) == []


def test_ids_go_to_the_database_a_thousand_at_a_time() -> None:
    assert [len(c) for c in chunks(range(2500))] == [1000, 1000, 500]
    assert list(chunks([3, 1, 3, 2])) == [[1, 2, 3]]


async def test_before_the_reminders_go_out_the_day_s_reminders_are_not_read(
    db: Database, clock: FixedClock
) -> None:
    clock.set(dt.datetime(2027, 1, 4, 9, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        busy = await _quiet(session, clock, world, by=world.dsl, pupil=world.fsm_pupil)
        await _make_due(session, busy, world, "qa_overdue")
    early = dt.datetime.combine(TUESDAY, dt.time(8, 29), tzinfo=LONDON)
    async with db.sessions() as session:
        assert (await gather_facts(session, early, NudgeTimes())).placements == ()
        on_time = await gather_facts(session, early + dt.timedelta(minutes=1), NudgeTimes())
    assert [p.id for p in on_time.placements] == [busy.id]


async def test_a_pupil_at_two_providers_is_named_in_both_nudges(
    db: Database, clock: FixedClock
) -> None:
    """Names are read once per pupil: a pupil with two placements is named in each's nudge."""
    clock.set(dt.datetime(2027, 1, 4, 9, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        both = []
        for provider, days in (
            (world.provider, ("mon", "tue")),
            (world.unregistered, ("wed", "thu")),
        ):
            placement = await place(
                session, clock, by=world.dsl, pupil=world.fsm_pupil, provider=provider,
                start=START, all_done=True, days=days, provider_hours="10", school_hours="12.5",
            )  # fmt: skip
            both.append(placement)
    async with db.sessions() as session:
        facts = await gather_facts(session, AT, NudgeTimes(), timely=False)
        fresh = [n for n in due_nudges(facts, timely=False) if n.kind == "qa_overdue"]
        named = await name_fresh(session, facts, fresh)
    assert sorted(n.placement_id or 0 for n in named) == sorted(p.id for p in both)
    assert all("Robin Mealsworth" in n.text and UNNAMED not in n.text for n in named)
