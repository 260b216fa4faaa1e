"""The invariants of `storage.invariants`, all enforced since issue 12's fixes.

First, the scenario of each bug the invariants were written for, played through the chat as a
person would: the bot now refuses it or records it properly (what a user sees is asserted), and
`check_all` finds nothing. Then each invariant catches a broken record written straight into the
database, as a careless service might (those tests are marked `breaks_invariants`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.scheduler import Scheduler
from storage import invariants
from storage.clock import LONDON, FixedClock
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    ChecklistItem,
    ChronologyEntry,
    ChronologyKind,
    ChronologySource,
    OutboxMessage,
    Placement,
    PlacementStatus,
    ReasonForAp,
    RegisterSession,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
    WelfareEscalation,
)
from storage.rules.attendance import AttendanceFigures
from storage.rules.checklist import checklist_counts
from storage.services.attendance import confirm_all_present
from storage.services.audit import Change, audit_updated, snapshot
from storage.services.chronology import AUTOMATIC_NOTE, add_entry
from storage.services.outbox import enqueue
from storage.services.placements import end_placement
from tests.support.chat import JsonChat, converse, texts
from tests.support.database import Database
from tests.support.factories import World, build_world, place

START = dt.date(2026, 11, 2)  # a Monday
THURSDAY = dt.date(2026, 11, 26)
FRIDAY = dt.date(2026, 11, 27)  # the test clock's day


async def nothing_wrong(db: Database, clock: FixedClock) -> None:
    """Every invariant holds on the records."""
    async with db.sessions() as session:
        found = await invariants.check_all(session, clock.now())
    assert found == [], "\n".join(str(v) for v in found)


async def _jamie(db: Database, clock: FixedClock) -> tuple[World, Placement]:
    """Jamie at Pathways every weekday since 02/11/2026, welfare calls by the provider."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
            welfare=WelfareCallParty.provider,
        )
    return world, placement


def refusal(chat: JsonChat) -> str:
    """The last error the bot gave this person."""
    errors = [o.get("text", "") for o in chat.transcript if o["type"] == "error"]
    assert errors, chat.transcript[-3:]
    return errors[-1]


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_every_invariant_is_named_once_and_all_are_enforced() -> None:
    assert set(invariants.ENFORCED) == set(invariants.INVARIANTS) | set(
        invariants.CHECKED_THROUGH_DIALOGS
    )


async def test_the_invariants_hold_for_a_placement_just_made(
    db: Database, clock: FixedClock
) -> None:
    await _jamie(db, clock)
    await nothing_wrong(db, clock)


# --- The old bugs, now refused or recorded properly (issue 12) ----------------------------------


async def test_a_confirmed_present_reported_absent_asks_why_and_keeps_the_history(
    db: Database, clock: FixedClock
) -> None:
    """Item 1: the change says what it changes, asks why, is kept, and the DSL is told."""
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    assert await converse(provider, "present", {}, THURSDAY) is not None
    plan = {"placement": jamie.reference, "sessions": "both"}
    done = await converse(provider, "absent", plan, THURSDAY)
    assert done is not None and done["type"] == "done", provider.transcript[-3:]
    assert "present" in texts(provider.transcript).lower()  # it said what it was changing
    async with db.sessions() as session:
        history = list(
            await session.scalars(
                select(AttendanceChange).where(AttendanceChange.placement_id == jamie.id)
            )
        )
    assert {(h.from_status, h.to_status) for h in history} == {("present", "absent")}
    assert len(history) == 2  # AM and PM
    assert await _count(
        db,
        OutboxMessage,
        OutboxMessage.kind == "register_corrected",
        OutboxMessage.recipient_id == world.dsl.id,
    )
    await nothing_wrong(db, clock)


async def test_a_late_arrival_after_the_register_closed_is_one_figure_everywhere(
    db: Database, clock: FixedClock
) -> None:
    """Item 3: U is an unauthorised absence in every view, with the same figure."""
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    for day in (23, 24, 25, 26):
        assert await converse(provider, "present", {}, dt.date(2026, 11, day)) is not None
    late = {"placement": jamie.reference, "session": "AM", "arrived": "10:15"}
    assert await converse(provider, "late", late, THURSDAY) is not None
    dsl = JsonChat(db, clock, world.dsl)
    view = (await dsl.say(f"attendance {jamie.reference}"))[-1]["record"]
    # 02/11 to 20/11 unreported (30 sessions), 23/11 to 26/11 7 attended and 1 U; today pending.
    figures = AttendanceFigures(attended=7, unauthorised=1, no_report=30)
    assert (view["attended"], view["possible"]) == (7, 38)
    assert view["percent_text"] == figures.percent_text == "18.4%"
    status = (await dsl.say(f"status {jamie.reference}"))[-1]["text"]
    assert f"Attendance at the provider, last 4 weeks: {figures.text}" in status
    assert "1 unauthorised" in status
    await nothing_wrong(db, clock)


async def test_ending_a_placement_settles_its_open_welfare_call_and_nothing_escalates(
    db: Database, clock: FixedClock
) -> None:
    """Item 2: `end` makes the person settle the open call; the scheduler then raises nothing."""
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    teacher = JsonChat(db, clock, world.teacher)
    assert await converse(provider, "absent", {"placement": jamie.reference}, FRIDAY)
    assert await converse(teacher, "end", {"placement": jamie.reference}, FRIDAY)
    assert "welfare call" in texts(teacher.transcript).lower()  # the open call was listed
    async with db.sessions() as session:
        ended = await session.get(Placement, jamie.id)
        assert ended is not None and ended.status == PlacementStatus.ended
    assert not await _count(
        db,
        WelfareCall,
        WelfareCall.placement_id == jamie.id,
        WelfareCall.status == WelfareCallStatus.open,
    )
    clock.set(dt.datetime(2026, 11, 27, 16, 0, tzinfo=LONDON))
    assert (await Scheduler(db.sessions, clock, []).evaluate()).escalations == 0
    assert not await _count(db, WelfareEscalation, WelfareEscalation.placement_id == jamie.id)
    await nothing_wrong(db, clock)


async def test_an_absence_on_a_saturday_is_refused(db: Database, clock: FixedClock) -> None:
    """Item 6: no session, no absence."""
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    saturday = dt.date(2026, 11, 21)
    assert await converse(provider, "absent", {"placement": jamie.reference}, saturday) is None
    assert "weekend" in refusal(provider)
    assert not await _count(db, AttendanceRecord, AttendanceRecord.placement_id == jamie.id)
    await nothing_wrong(db, clock)


async def test_an_absence_for_next_week_is_refused(db: Database, clock: FixedClock) -> None:
    """Item 5: an absence is for today or an earlier school day."""
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    tuesday = dt.date(2026, 12, 1)
    assert await converse(provider, "absent", {"placement": jamie.reference}, tuesday) is None
    assert "future" in refusal(provider) or "today or" in refusal(provider)
    assert not await _count(db, AttendanceRecord, AttendanceRecord.placement_id == jamie.id)
    await nothing_wrong(db, clock)


async def test_an_unreached_welfare_call_s_escalation_is_written_by_the_system(
    db: Database, clock: FixedClock
) -> None:
    """Item 14: the scheduler's chronology entry is AP Safeguard's, and says so."""
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    assert await converse(provider, "absent", {"placement": jamie.reference}, THURSDAY)
    assert (await Scheduler(db.sessions, clock, []).evaluate()).escalations == 1
    async with db.sessions() as session:
        [entry] = await session.scalars(
            select(ChronologyEntry).where(ChronologyEntry.placement_id == jamie.id)
        )
    assert entry.automatic and entry.recorded_by_id is None
    assert entry.text.startswith(AUTOMATIC_NOTE)
    await nothing_wrong(db, clock)


async def test_status_counts_a_not_applicable_check_out_of_the_total(
    db: Database, clock: FixedClock
) -> None:
    """Item 15: one checklist count, in `status` as in the check's own message."""
    world, jamie = await _jamie(db, clock)
    dsl = JsonChat(db, clock, world.dsl)
    plan = {"placement": jamie.reference, "item": "travel_provider_qa", "outcome": "na"}
    done = await converse(dsl, "check", plan, FRIDAY)
    assert done is not None
    said = (await dsl.say(f"status {jamie.reference}"))[-1]["text"]
    async with db.sessions() as session:
        statuses = list(
            await session.scalars(
                select(ChecklistItem.status).where(ChecklistItem.placement_id == jamie.id)
            )
        )
    counts = checklist_counts(statuses)
    assert counts.not_applicable == 1
    assert (
        f"Checklist: {counts.done} of {counts.applicable} done, {counts.to_do} to do, "
        "1 not applicable"
    ) in said
    assert done["record"]["remaining"] == counts.to_do
    await nothing_wrong(db, clock)


def test_a_view_s_figures_are_compared_count_by_count_and_by_its_words() -> None:
    day = dt.date(2026, 11, 2)
    placement = Placement(reference="AP-TEST")
    marks = AttendanceFigures(attended=15, authorised=1)
    line = "AP-TEST: 93.8% (15 of 16 possible sessions attended)"
    same = invariants.Shown("digest", placement, marks, day, day, reads_words=True, words=line)
    assert invariants.disagreement(same, marks) is None
    other = invariants.Shown("AP list", placement, AttendanceFigures(attended=15), day, day)
    assert invariants.disagreement(other, marks) == (
        "AP-TEST: the AP list says 100% (15 of 15 possible sessions attended) for "
        "02/11/2026–02/11/2026, the register marks say 93.8% (15 of 16 possible sessions "
        "attended; 1 absent: 1 authorised, 0 unauthorised)"
    )
    worded = invariants.Shown("digest", placement, marks, day, day, reads_words=True, words="94%")
    assert invariants.disagreement(worded, marks) is not None  # 93.8% is the figure, not 94%
    unlined = invariants.Shown("digest", placement, marks, day, day, reads_words=True)
    assert "no attendance line" in (invariants.disagreement(unlined, marks) or "")


# --- Each invariant catches a broken record, whatever the code of the day -----------------------
# (Written straight into the database, as a careless service might: these keep the checks
# themselves tested now that the bugs above are fixed.)


async def _found(db: Database, clock: FixedClock, name: str) -> list[str]:
    async with db.sessions() as session:
        return [v.text for v in await invariants.check_all(session, clock.now(), only={name})]


@pytest.mark.breaks_invariants
async def test_a_mark_changed_without_its_history_is_caught(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    change = Change(person_id=world.provider_staff.id, channel="test", at=clock.now())
    async with db.sessions() as session, session.begin():
        [am, _pm] = await confirm_all_present(
            session, change, provider_id=world.provider.id, date=THURSDAY
        )
        before = snapshot(am)
        am.status, am.code = AttendanceStatus.absent, "N"
        await audit_updated(session, change, am, before, placement_id=jamie.id)
    assert await _found(db, clock, "mark_changes_have_history") == [
        f"{jamie.reference} 26/11/2026 AM: the mark changed (status present → absent, code B → N)"
        " on 27/11/2026 10:00 with no row in the mark-change history"
    ]


@pytest.mark.breaks_invariants
async def test_a_notice_queued_after_the_end_is_caught(db: Database, clock: FixedClock) -> None:
    world, jamie = await _jamie(db, clock)
    change = Change(person_id=world.teacher.id, channel="test", at=clock.now())
    later = clock.now() + dt.timedelta(hours=2)
    async with db.sessions() as session, session.begin():
        placement = await session.get(Placement, jamie.id)
        assert placement is not None
        await end_placement(
            session,
            change,
            placement,
            ended_on=FRIDAY,
            outcome="returned_to_school",
            return_date=FRIDAY,
            reintegration_notes=None,
        )
        await enqueue(
            session,
            key="qa-due-after-the-end",
            kind="qa_due",
            text="A QA visit is due.",
            due_at=later,
            recipient_id=world.teacher.id,
            placement_id=jamie.id,
        )
    assert await _found(db, clock, "nothing_after_end") == [
        f"{jamie.reference}: a qa_due notice was queued on 27/11/2026 12:00, after the "
        "placement was ended (27/11/2026 10:00)"
    ]


@pytest.mark.breaks_invariants
async def test_absences_on_days_without_a_session_or_ahead_are_caught(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    async with db.sessions() as session, session.begin():
        for day in (dt.date(2026, 11, 21), dt.date(2026, 12, 1)):  # a Saturday; next Tuesday
            session.add(
                AttendanceRecord(
                    placement_id=jamie.id,
                    date=day,
                    session=RegisterSession.am,
                    status=AttendanceStatus.absent,
                    code="N",
                    reported_by_id=world.provider_staff.id,
                    reported_at=clock.now(),
                )
            )
    assert await _found(db, clock, "absences_on_session_days") == [
        f"{jamie.reference}: an absence (AM, N) on Sat 21/11/2026, but Sat 21/11/2026 is at the "
        "weekend"
    ]
    assert await _found(db, clock, "absences_not_ahead") == [
        f"{jamie.reference}: an absence for Tue 01/12/2026 was reported on 27/11/2026, before "
        "that day"
    ]


@pytest.mark.breaks_invariants
async def test_an_automatic_entry_in_a_person_s_name_is_caught(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    change = Change(person_id=world.dsl.id, channel="test", at=clock.now())
    async with db.sessions() as session, session.begin():
        placement = await session.get(Placement, jamie.id)
        assert placement is not None
        entry = await add_entry(
            session,
            change,
            placement=placement,
            kind=ChronologyKind.concern,
            source=ChronologySource.school,
            text="Recorded automatically by AP Safeguard. Nobody was reached.",
            entry_date=FRIDAY,
            shared_with=[],
        )
    assert await _found(db, clock, "automatic_entries_by_system") == [
        f"{jamie.reference}: the automatic chronology entry of 27/11/2026 is recorded as written "
        f"by person {world.dsl.id}, not by the system"
    ]
    assert entry.id


@pytest.mark.breaks_invariants
async def test_an_entry_in_no_one_s_name_that_does_not_say_so_is_caught(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    async with db.sessions() as session, session.begin():
        session.add(
            ChronologyEntry(
                pupil_id=world.pupil.id,
                placement_id=jamie.id,
                entry_date=FRIDAY,
                kind=ChronologyKind.concern,
                source=ChronologySource.school,
                text="Nobody was reached.",
                shared_with=[],
                recorded_by_id=None,
                created_at=clock.now(),
            )
        )
    assert await _found(db, clock, "automatic_entries_by_system") == [
        f"{jamie.reference}: the chronology entry of 27/11/2026 is in no person's name but does "
        "not say it was recorded automatically ('Recorded automatically by AP Safeguard.')"
    ]


@pytest.mark.breaks_invariants
async def test_an_open_welfare_call_on_an_ended_placement_is_caught(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    assert await converse(provider, "absent", {"placement": jamie.reference}, FRIDAY)
    async with db.sessions() as session, session.begin():
        placement = await session.get(Placement, jamie.id)
        assert placement is not None
        placement.status, placement.ended_on, placement.closed_at = (
            PlacementStatus.ended,
            FRIDAY,
            clock.now(),
        )
    assert await _found(db, clock, "nothing_after_end") == [
        f"{jamie.reference}: 1 welfare call(s) still open"
    ]


@pytest.mark.breaks_invariants
async def test_a_reason_without_its_checks_or_sixth_day_is_caught(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        directed = await place(session, clock, by=world.teacher, pupil=world.pupil,
                               provider=world.provider, start=dt.date(2026, 12, 2),
                               reason=ReasonForAp.off_site_direction)  # fmt: skip
        excluded = await place(session, clock, by=world.teacher, pupil=world.fsm_pupil,
                               provider=world.provider, start=dt.date(2026, 11, 30),
                               reason=ReasonForAp.permanent_exclusion,
                               reason_first_day=dt.date(2026, 11, 23))  # fmt: skip
    assert await _found(db, clock, "reason_duties_recorded") == []
    async with db.sessions() as session, session.begin():
        notice = await session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.placement_id == directed.id,
                ChecklistItem.key == "off_site_notice_given",
            )
        )
        await session.delete(notice)
        row = await session.get(Placement, excluded.id)
        assert row is not None
        row.full_time_education_from = None
    found = await _found(db, clock, "reason_duties_recorded")
    assert sorted(found) == sorted(
        [
            f"{directed.reference}: placed for off_site_direction without the check(s) "
            "off_site_notice_given",
            f"{excluded.reference}: placed for permanent_exclusion without its first day and "
            "the sixth school day",
        ]
    )
