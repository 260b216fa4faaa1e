"""The invariants of `storage.invariants`: each one not yet enforced has a small example of the
bug behind it, played through the dialogs as a person would, that the invariant catches.

These examples are strict xfails: when the fix is merged the example passes, pytest reports
XPASS as a failure, and that is the moment to add the invariant's name to
`storage.invariants.ENFORCED` and drop the mark here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.scheduler import Scheduler
from storage import invariants
from storage.clock import LONDON, FixedClock
from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    ChecklistItem,
    ChronologyKind,
    ChronologySource,
    Placement,
    PlacementStatus,
    Session,
    WelfareCallParty,
)
from storage.rules.calendar import SchoolCalendar
from storage.services.attendance import confirm_all_present
from storage.services.audit import Change, audit_updated, snapshot
from storage.services.chronology import add_entry
from storage.services.outbox import enqueue
from storage.services.placements import end_placement
from tests.chat import JsonChat, converse
from tests.conftest import Database
from tests.factories import World, build_world, place

START = dt.date(2026, 11, 2)  # a Monday
THURSDAY = dt.date(2026, 11, 26)
FRIDAY = dt.date(2026, 11, 27)  # the test clock's day


class InvariantBroken(AssertionError):
    """An invariant found something wrong (what the strict xfails below expect)."""


async def assert_holds(db: Database, clock: FixedClock, name: str) -> None:
    async with db.sessions() as session:
        found = await invariants.check_all(session, clock.now(), only={name})
    if found:
        raise InvariantBroken("\n".join(str(v) for v in found))


def pending(item: str, name: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(
        strict=True,
        raises=InvariantBroken,
        reason=f"issue 12 item {item}: when this passes, enforce {name!r} "
        "(storage.invariants.ENFORCED) and drop this mark",
    )


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


def test_every_invariant_is_named_once_and_the_enforced_ones_exist() -> None:
    assert set(invariants.ENFORCED) <= set(invariants.INVARIANTS) | set(
        invariants.CHECKED_THROUGH_DIALOGS
    )


async def test_the_enforced_invariants_hold_for_a_placement_just_made(
    db: Database, clock: FixedClock
) -> None:
    await _jamie(db, clock)
    async with db.sessions() as session:
        assert await invariants.check_all(session, clock.now(), only=invariants.ENFORCED) == []


@pending("1", "mark_changes_have_history")
async def test_a_confirmed_present_reported_absent_leaves_no_history(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    assert await converse(provider, "present", {}, THURSDAY) is not None
    done = await converse(provider, "absent", {"placement": jamie.reference}, THURSDAY)
    assert done is not None and done["type"] == "done", provider.transcript[-3:]
    await assert_holds(db, clock, "mark_changes_have_history")


@pending("3", "same_attendance_everywhere")
async def test_a_late_arrival_after_the_register_closed_counts_differently(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    for day in (23, 24, 25, 26):
        assert await converse(provider, "present", {}, dt.date(2026, 11, day)) is not None
    late = {"placement": jamie.reference, "session": "AM", "arrived": "10:15"}
    assert await converse(provider, "late", late, THURSDAY) is not None
    await assert_holds(db, clock, "same_attendance_everywhere")


@pending("2", "nothing_after_end")
async def test_an_ended_placement_s_open_welfare_call_still_escalates(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    teacher = JsonChat(db, clock, world.teacher)
    assert await converse(provider, "absent", {"placement": jamie.reference}, FRIDAY)
    assert await converse(teacher, "end", {"placement": jamie.reference}, FRIDAY)
    async with db.sessions() as session:
        ended = await session.get(Placement, jamie.id)
        assert ended is not None and ended.status == PlacementStatus.ended
    clock.set(dt.datetime(2026, 11, 27, 16, 0, tzinfo=LONDON))
    await Scheduler(db.sessions, clock, []).evaluate()
    await assert_holds(db, clock, "nothing_after_end")


@pending("6", "absences_on_session_days")
async def test_an_absence_on_a_saturday_is_accepted(db: Database, clock: FixedClock) -> None:
    world, jamie = await _jamie(db, clock)
    saturday = dt.date(2026, 11, 21)
    assert SchoolCalendar().reason_closed(saturday) == "Saturday"
    provider = JsonChat(db, clock, world.provider_staff)
    await converse(provider, "absent", {"placement": jamie.reference}, saturday)
    await assert_holds(db, clock, "absences_on_session_days")


@pending("5", "absences_not_ahead")
async def test_an_absence_for_next_week_is_accepted(db: Database, clock: FixedClock) -> None:
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    await converse(provider, "absent", {"placement": jamie.reference}, dt.date(2026, 12, 1))
    await assert_holds(db, clock, "absences_not_ahead")


@pending("14", "automatic_entries_by_system")
async def test_an_unreached_welfare_call_s_entry_is_signed_by_the_dsl(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    assert await converse(provider, "absent", {"placement": jamie.reference}, THURSDAY)
    assert (await Scheduler(db.sessions, clock, []).evaluate()).escalations == 1
    await assert_holds(db, clock, "automatic_entries_by_system")


@pending("3", "attendance_in_dialogs")
async def test_status_does_not_count_a_late_after_close_as_absent(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    provider = JsonChat(db, clock, world.provider_staff)
    late = {"placement": jamie.reference, "session": "AM", "arrived": "10:15"}
    assert await converse(provider, "late", late, THURSDAY) is not None
    status = await JsonChat(db, clock, world.dsl).say(f"status {jamie.reference}")
    if "Absent sessions in the last 4 weeks: 1" not in status[-1]["text"]:
        raise InvariantBroken(f"status says: {status[-1]['text']}")


@pending("15", "checklist_counts_in_dialogs")
async def test_status_counts_a_not_applicable_check_in_the_total(
    db: Database, clock: FixedClock
) -> None:
    world, jamie = await _jamie(db, clock)
    dsl = JsonChat(db, clock, world.dsl)
    plan = {"placement": jamie.reference, "item": "travel_provider_qa", "outcome": "na"}
    assert await converse(dsl, "check", plan, FRIDAY) is not None
    said = (await dsl.say(f"status {jamie.reference}"))[-1]["text"]
    async with db.sessions() as session:
        statuses = list(
            await session.scalars(
                select(ChecklistItem.status).where(ChecklistItem.placement_id == jamie.id)
            )
        )
    counts = invariants.checklist_counts(statuses)
    assert counts.not_applicable == 1
    expected = f"Checklist: {counts.done} of {counts.applicable} done, {counts.to_do} to do"
    if expected not in said:
        raise InvariantBroken(f"status says {said!r}, expected {expected!r}")


def test_a_day_without_a_session_is_named() -> None:
    """The rule the absence invariant applies, on its own."""
    placement = Placement(
        reference="AP-TEST",
        start_date=START,
        ended_on=dt.date(2027, 1, 29),
        provider_days="mon,tue,wed",
    )
    calendar = SchoolCalendar()
    assert invariants.no_session(placement, dt.date(2026, 11, 23), calendar) is None
    assert "Saturday" in (invariants.no_session(placement, dt.date(2026, 11, 21), calendar) or "")
    assert "not one of" in (invariants.no_session(placement, FRIDAY, calendar) or "")
    assert "before" in (invariants.no_session(placement, dt.date(2026, 10, 26), calendar) or "")
    assert "after" in (invariants.no_session(placement, dt.date(2027, 2, 1), calendar) or "")
    assert "Christmas" in (invariants.no_session(placement, dt.date(2026, 12, 25), calendar) or "")


def test_a_figure_is_compared_at_the_view_s_own_precision() -> None:
    day = dt.date(2026, 11, 2)
    digest = invariants.Figure("digest", 94, day, day)
    assert invariants.disagreement(digest, (15, 16), "AP-TEST") is None  # 93.75 shows as 94
    assert invariants.disagreement(digest, (14, 16), "AP-TEST") is not None
    report = invariants.Figure("governors' report", 93.8, day, day)
    assert invariants.disagreement(report, (15, 16), "AP-TEST") is None
    nothing = invariants.Figure("governors' report", None, day, day)
    assert invariants.disagreement(nothing, (0, 0), "AP-TEST") is None
    said = invariants.disagreement(nothing, (0, 8), "AP-TEST")
    assert said == (
        "AP-TEST: the governors' report says nothing expected for 02/11/2026–02/11/2026, "
        "the register marks say 0.0% (0 of 8 sessions)"
    )


# --- Each invariant catches a broken record, whatever the code of the day -----------------------
# (Written straight into the database, as a careless service might: these keep the checks
# themselves tested once every bug above is fixed.)


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
                    session=Session.am,
                    status=AttendanceStatus.absent,
                    code="N",
                    reported_by_id=world.provider_staff.id,
                    reported_at=clock.now(),
                )
            )
    assert await _found(db, clock, "absences_on_session_days") == [
        f"{jamie.reference}: an absence (AM, N) on Sat 21/11/2026, no school that day (Saturday)"
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
        f"{jamie.reference}: the automatic chronology entry of 27/11/2026 (says it was recorded "
        f"automatically) is recorded as written by a dsl (person {world.dsl.id}), not by the system"
    ]
    assert entry.id
