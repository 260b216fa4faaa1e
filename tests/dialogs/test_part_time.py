"""Issue 16 item 4: a part-time timetable the way the regulations allow it. Started through
`start` in the `--json` terminal channel: refused without a parent's agreement, with a time
limit and a review with the pupil and parents; C2 only for the sessions the agreed timetable
leaves out, within its dates; reminders before the time limit and once it passes (none after
the placement ends); a review recorded with `review`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.scheduler import Scheduler
from storage.clock import FixedClock
from storage.models import OutboxMessage, PartTimeReview, PartTimeTimetable, Placement
from storage.rules.calendar import at_london
from storage.services.audit import Change
from storage.services.placements import end_placement, find_by_reference
from storage.services.pupil_record import pupil_record
from tests.support.answers import PART_TIME_AGREED, full_time_answers
from tests.support.chat import JsonChat, prompt
from tests.support.database import Database
from tests.support.factories import World, build_world, place
from tests.support.scheduler import RecordingDeliverer, clock_sleep


def _part_time(world: World) -> dict[str, str]:
    """Mondays and Tuesdays at Pathways (10 h), Thursdays at school (5 h): 15 of 32.5 h, so
    Wednesdays and Fridays have no education planned (C2) until Friday 08/01/2027."""
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(PART_TIME_AGREED)
    answers.update(
        {
            "provider_days": "mon, tue",
            "provider_hours": "10",
            "school_hours": "5",
            "school_days": "thu",
        }
    )
    return answers


async def _start_part_time(db: Database, clock: FixedClock, world: World) -> str:
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.answer_all(_part_time(world), start="start")
    assert out[-1]["type"] == "done", out[-1]
    return str(out[-1]["record"]["reference"])


async def test_a_part_time_timetable_is_refused_without_the_parent_s_agreement(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = _part_time(world)
    out = await chat.say("start")
    while prompt(out)["field"] != "part_time_parent_agreed":
        out = await chat.say(answers[prompt(out)["field"]])
    warnings = [o["text"] for o in out if o.get("level") == "warning"]
    assert any("Part-time timetable: 15 h of 32.5 h" in w for w in warnings)
    refused = await chat.say("no")
    assert refused[0]["type"] == "error"
    assert "can't be recorded without a parent's or carer's agreement" in refused[0]["text"]
    assert prompt(refused)["field"] == "part_time_parent_agreed"
    await chat.say("cancel")
    async with db.sessions() as session:
        assert await session.scalar(select(Placement.id)) is None
        assert await session.scalar(select(PartTimeTimetable.id)) is None


async def test_the_agreement_is_stored_with_its_time_limit_and_the_c2_days(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = _part_time(world)
    refusals = {
        "part_time_agreed_on": ("30/11/2026", "not a future date"),
        "part_time_ends": ("06/02/2027", "on or before the planned end (05/02/2027)"),
        "review_date": ("11/01/2027", "on or before its time limit (08/01/2027)"),
    }
    out = await chat.say("start")
    while out[-1]["type"] == "prompt":
        field = prompt(out)["field"]
        if field in refusals:
            typed, expected = refusals.pop(field)
            refused = await chat.say(typed)
            assert refused[0]["type"] == "error" and expected in refused[0]["text"], refused
        if field == "part_time_ends":
            notes = " ".join(o.get("text", "") for o in out)
            assert "The sessions on Wed, Fri will be C2" in notes
        out = await chat.say(answers[field])
    assert not refusals
    confirm = next(o for o in reversed(chat.transcript) if o.get("field") == "confirm")
    assert "agreed with a parent on 27/11/2026, until 08/01/2027; C2 on Wed, Fri" in confirm["text"]
    assert "Review with the pupil and parents: 08/01/2027" in confirm["text"]
    reference = out[-1]["record"]["reference"]
    async with db.sessions() as session:
        placement = await find_by_reference(session, reference)
        assert placement is not None and not placement.is_full_time
        row = await session.scalar(
            select(PartTimeTimetable).where(PartTimeTimetable.placement_id == placement.id)
        )
        assert row is not None
        assert row.parent_agreed_on == dt.date(2026, 11, 27)
        assert row.circumstances == PART_TIME_AGREED["part_time_circumstances"]
        assert (row.starts_on, row.ends_on) == (dt.date(2026, 11, 30), dt.date(2027, 1, 8))
        assert row.covered == ("mon", "tue", "thu") and row.ended_on is None
        assert row.review_date == dt.date(2027, 1, 8) == placement.review_date


async def test_a_time_limit_past_six_weeks_is_said_out_loud(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = _part_time(world)
    answers.update({"part_time_ends": "05/02/2027", "review_date": "15/01/2027"})
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["type"] == "done"
    warnings = [o["text"] for o in chat.transcript if o.get("level") == "warning"]
    assert any("part-time timetable of about 10 weeks" in w for w in warnings)


def _week(marks: list[dict[str, str]], reference: str) -> dict[str, str]:
    """`Wed AM` -> the mark, for one placement."""
    return {
        f"{dt.date.fromisoformat(m['date']):%a} {m['session']}": m["mark"]
        for m in marks
        if m["reference"] == reference
    }


async def test_c2_only_for_the_agreed_sessions_and_only_within_the_agreed_dates(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    reference = await _start_part_time(db, clock, world)
    # A part-time week nobody agreed with a parent (made before this feature): never C2.
    async with db.sessions() as session, session.begin():
        unagreed = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 30),
            days=("mon", "tue"),
            provider_hours="10",
            school_hours="0",
        )
    clock.set(at_london(dt.date(2026, 12, 7), dt.time(16, 0)))
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    first_week = (await chat.say("marks 30/11/2026"))[-1]["record"]["marks"]
    marks = _week(first_week, reference)
    assert marks["Wed AM"] == marks["Wed PM"] == marks["Fri AM"] == marks["Fri PM"] == "C2"
    assert marks["Thu AM"] == marks["Thu PM"] == ""  # at school: the school's own register
    assert marks["Mon AM"] == "-"  # at the provider, not reported: chase, never C2
    assert "C2" not in _week(first_week, unagreed.reference).values()

    # After the time limit (Friday 08/01/2027): no C2, the pupil should be full time.
    clock.set(at_london(dt.date(2027, 1, 15), dt.time(16, 0)))
    last_week = (await chat.say("marks 04/01/2027"))[-1]["record"]["marks"]
    assert _week(last_week, reference)["Fri PM"] == "C2"  # the last agreed day
    later = (await chat.say("marks 11/01/2027"))[-1]
    assert "C2" not in _week(later["record"]["marks"], reference).values()


def _scheduler(db: Database, clock: FixedClock) -> Scheduler:
    return Scheduler(db.sessions, clock, [RecordingDeliverer(clock)], sleep=clock_sleep(clock))


async def _part_time_nudges(db: Database) -> list[tuple[str, int | None, str]]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind.in_(["part_time_ending", "part_time_expired"]))
            .order_by(OutboxMessage.id)
        )
        return [(row.key, row.recipient_id, row.text) for row in rows]


async def test_reminded_before_the_time_limit_and_after_it_never_after_the_end(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    reference = await _start_part_time(db, clock, world)
    scheduler = _scheduler(db, clock)
    # Wednesday 30/12: six school days to the limit (1 January is a bank holiday).
    clock.set(at_london(dt.date(2026, 12, 30), dt.time(9, 0)))
    await scheduler.evaluate()
    assert await _part_time_nudges(db) == []
    # Thursday 31/12: five school days left: once, to the teacher who started it and the DSL.
    clock.set(at_london(dt.date(2026, 12, 31), dt.time(9, 0)))
    await scheduler.evaluate()
    ending = await _part_time_nudges(db)
    assert {to for _, to, _ in ending} == {world.teacher.id, world.dsl.id}
    assert all(key.startswith("part-time-ending:") for key, _, _ in ending), ending
    assert all(
        f"({reference})" in text and "time limit on Fri 08/01/2027 (5 school days" in text
        for _, _, text in ending
    ), ending
    clock.set(at_london(dt.date(2027, 1, 5), dt.time(9, 0)))
    await scheduler.evaluate()
    assert len(await _part_time_nudges(db)) == 2  # one-off: not again
    # Monday 11/01: past it, each school day.
    clock.set(at_london(dt.date(2027, 1, 11), dt.time(9, 0)))
    await scheduler.evaluate()
    expired = (await _part_time_nudges(db))[2:]
    assert len(expired) == 2 and all("past its time limit" in text for _, _, text in expired)

    # The placement ends: nothing more about its part-time timetable.
    async with db.sessions() as session, session.begin():
        placement = await find_by_reference(session, reference)
        assert placement is not None
        at = at_london(dt.date(2027, 1, 11), dt.time(12, 0))
        await end_placement(
            session,
            Change(person_id=world.teacher.id, channel="test", at=at),
            placement,
            ended_on=dt.date(2027, 1, 11),
            outcome="returned_to_school",
            return_date=dt.date(2027, 1, 12),
            reintegration_notes=None,
        )
    clock.set(at_london(dt.date(2027, 1, 12), dt.time(9, 0)))
    await scheduler.evaluate()
    assert len(await _part_time_nudges(db)) == 4
    async with db.sessions() as session:
        row = await session.scalar(select(PartTimeTimetable))
        assert row is not None and row.ended_on == dt.date(2027, 1, 8)


async def test_a_review_with_the_pupil_and_parents_moves_the_limit_then_ends_it(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    reference = await _start_part_time(db, clock, world)
    clock.set(at_london(dt.date(2026, 12, 18), dt.time(15, 0)))
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say(f"review {reference}")
    assert "C2 on Wed, Fri" in " ".join(o.get("text", "") for o in out)
    refusals = {"held_on": ("19/12/2026", "not a future date"), "parent_agreed": ("no", "parent")}
    answers = {
        "held_on": "today",
        "with_pupil": "yes",
        "with_parents": "no",
        "notes": "Pupil wants one more day at school; mum could not come, agreed by phone.",
        "outcome": "continue",
        "parent_agreed": "yes",
        "new_ends_on": "29/01/2027",
        "next_review_date": "22/01/2027",
        "confirm": "yes",
    }
    warned = False
    while out[-1]["type"] == "prompt":
        field = prompt(out)["field"]
        warned = warned or any(
            "a parent or carer did not take part" in o.get("text", "") for o in out
        )
        if field in refusals:
            typed, expected = refusals.pop(field)
            refused = await chat.say(typed)
            assert refused[0]["type"] == "error" and expected in refused[0]["text"], refused
        out = await chat.say(answers[field])
    assert warned and not refusals
    assert out[-1]["type"] == "done" and "now runs until 29/01/2027" in out[-1]["text"]
    async with db.sessions() as session:
        timetable = await session.scalar(select(PartTimeTimetable))
        review = await session.scalar(select(PartTimeReview))
        placement = await find_by_reference(session, reference)
        assert timetable is not None and review is not None and placement is not None
        assert (timetable.ends_on, timetable.review_date) == (
            dt.date(2027, 1, 29),
            dt.date(2027, 1, 22),
        )
        assert placement.review_date == dt.date(2027, 1, 22)
        assert review.held_on == dt.date(2026, 12, 18) and review.outcome == "continue"
        assert review.with_pupil and not review.with_parents
        assert review.notes == answers["notes"]

    # The next review: back to full time. No C2 from the next day.
    clock.set(at_london(dt.date(2027, 1, 20), dt.time(15, 0)))
    out = await chat.answer_all(
        {**answers, "held_on": "today", "with_parents": "yes", "outcome": "full_time"},
        start=f"review {reference}",
    )
    assert out[-1]["type"] == "done" and "ended on 20/01/2027" in out[-1]["text"]
    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    week = _week((await dsl.say("marks 18/01/2027"))[-1]["record"]["marks"], reference)
    assert week["Wed AM"] == "C2" and week["Fri AM"] == ""
    again = await chat.say(f"review {reference}")
    assert again[0]["type"] == "error" and "no part-time timetable running" in again[0]["text"]
    # The DSL's export of the pupil's record keeps the agreement and both reviews.
    async with db.sessions() as session:
        record = await pupil_record(
            session, pupil_id=world.pupil.id, commissioner_id=world.school.id
        )
    [kept] = record["placements"][0]["part_time_timetables"]
    assert kept["circumstances"] == PART_TIME_AGREED["part_time_circumstances"]
    assert kept["c2_days"] == ["wed", "fri"] and kept["ended_on"] == "2027-01-20"
    assert [r["outcome"] for r in kept["reviews"]] == ["continue", "full_time"]
