"""Register marks for the school's MIS over a realistic week: present, absent (N then I), late
before and after the register closed, no report, a part-time timetable and a bank holiday."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import get_settings
from storage.clock import LONDON, FixedClock
from storage.models import RegisterSession
from storage.services.attendance import confirm_all_present, report_absence
from storage.services.audit import Change
from storage.services.marks import MarkKind, school_marks
from storage.services.outcomes import explain_absence, record_late
from storage.services.part_time import PartTimePlan
from tests.support.database import TEST_KEY, Database
from tests.support.factories import World, build_world, place

# Monday 4 May 2026 is the early May bank holiday.
MONDAY = dt.date(2026, 5, 4)
START = dt.date(2026, 4, 20)

# (reference key, date, session) -> mark, for the whole week. Jamie: full time, Mon-Thu at
# Pathways (Friday at school). Robin: a part-time timetable agreed with a parent, Tue and Thu at
# Wheels, nothing else (C2 on the other days, until its time limit).
EXPECTED = {
    "jamie": [("", ""), ("B", "B"), ("I", "I"), ("B", "B"), ("", "")],
    "robin": [("", ""), ("-", "-"), ("C2", "C2"), ("U", "-"), ("C2", "C2")],
}


async def _week(db: Database) -> tuple[World, dict[str, int]]:
    clock = FixedClock(dt.datetime(2026, 4, 20, 9, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        jamie = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
            days=("mon", "tue", "wed", "thu"),
            provider_hours="26",
            school_hours="6.5",
        )
        robin = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.unregistered,
            start=START,
            days=("tue", "thu"),
            provider_hours="10",
            school_hours="0",
            part_time=PartTimePlan(
                parent_agreed_on=START,
                circumstances="Medical: building up after surgery.",
                ends_on=START + dt.timedelta(weeks=4),
                covered_days=["tue", "thu"],
            ),
        )
        pathways = world.provider_staff
        wheels = world.unregistered_staff

        def at(day: int, hour: int, minute: int, person_id: int) -> Change:
            when = dt.datetime.combine(
                MONDAY + dt.timedelta(days=day), dt.time(hour, minute), LONDON
            )
            return Change(person_id=person_id, channel="test", at=when)

        # Tuesday: Pathways confirms its register; Wheels never says anything.
        await confirm_all_present(
            session,
            at(1, 9, 20, pathways.id),
            provider_id=world.provider.id,
            date=MONDAY + dt.timedelta(days=1),
        )
        # Wednesday: Jamie absent, reason not known (N); later found to be ill (I).
        wednesday = MONDAY + dt.timedelta(days=2)
        await report_absence(
            session,
            at(2, 9, 25, pathways.id),
            placement=jamie,
            date=wednesday,
            sessions=[RegisterSession.am, RegisterSession.pm],
            code="N",
            reason="not known",
        )
        await explain_absence(
            session,
            at(2, 11, 0, world.teacher.id),
            placement=jamie,
            date=wednesday,
            code="I",
            reason="Dad rang: tummy bug",
        )
        # Thursday: Jamie in at 09:20, before the register closed (L), then all present;
        # Robin in at 10:40, after it closed (U), and no word about the afternoon.
        thursday = MONDAY + dt.timedelta(days=3)
        await record_late(
            session,
            at(3, 9, 25, pathways.id),
            placement=jamie,
            date=thursday,
            which=RegisterSession.am,
            arrived_at=dt.time(9, 20),
            after_close=False,
        )
        await confirm_all_present(
            session, at(3, 9, 30, pathways.id), provider_id=world.provider.id, date=thursday
        )
        await record_late(
            session,
            at(3, 10, 45, wheels.id),
            placement=robin,
            date=thursday,
            which=RegisterSession.am,
            arrived_at=dt.time(10, 40),
            after_close=True,
        )
    return world, {"jamie": jamie.id, "robin": robin.id}


def _grid(rows: list[dict[str, str]], reference: str) -> list[tuple[str, str]]:
    marks = {(r["date"], r["session"]): r["mark"] for r in rows if r["reference"] == reference}
    days = [MONDAY + dt.timedelta(days=i) for i in range(5)]
    return [(marks[(f"{d:%d/%m/%Y}", "AM")], marks[(f"{d:%d/%m/%Y}", "PM")]) for d in days]


async def test_a_realistic_week_has_exactly_the_marks_the_rules_say(db) -> None:
    world, ids = await _week(db)
    async with db.sessions() as session:
        rows = await school_marks(
            session,
            world.school,
            start=MONDAY,
            end=MONDAY + dt.timedelta(days=6),  # the weekend adds no rows
            today=dt.date(2026, 5, 11),
        )
    by_ref = {r.placement.id: r.placement.reference for r in rows}
    assert len(rows) == 2 * 5 * 2
    for key, placement_id in ids.items():
        grid = [
            (am.mark, pm.mark)
            for am, pm in zip(
                [
                    r
                    for r in rows
                    if r.placement.id == placement_id and r.session == RegisterSession.am
                ],
                [
                    r
                    for r in rows
                    if r.placement.id == placement_id and r.session == RegisterSession.pm
                ],
                strict=True,
            )
        ]
        assert grid == EXPECTED[key], by_ref[placement_id]
    # Never attended without the provider saying so.
    assert all(r.record is not None for r in rows if r.kind == MarkKind.attended)
    monday = [r for r in rows if r.date == MONDAY]
    assert all(r.kind == MarkKind.closed and "bank holiday: May Day" in r.note for r in monday)


async def test_the_csv_for_the_mis(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = await _week(db)
    out = tmp_path / "marks.csv"
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    get_settings.cache_clear()
    try:
        code = await asyncio.to_thread(
            main,
            ["marks", "--school", "Elm Park School", "--from", "04/05/2026", "--to", "08/05/2026",
             "--out", str(out)],
        )  # fmt: skip
        assert code == 0
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        refs = {r["pupil"]: r["reference"] for r in rows}
        assert _grid(rows, refs["Jamie Testpupil"]) == EXPECTED["jamie"]
        assert _grid(rows, refs["Robin Mealsworth"]) == EXPECTED["robin"]
        no_report = [r for r in rows if r["mark"] == "-"]
        assert no_report and all(
            r["what_happened"].startswith("No report from provider") for r in no_report
        )
        wednesday = [
            r for r in rows if r["date"] == "06/05/2026" and r["pupil"] == "Jamie Testpupil"
        ]
        assert [r["changes"][:3] for r in wednesday] == ["N→I", "N→I"]
        assert all(r["reported_by"] == "Pat Office" for r in wednesday)
        late = next(
            r
            for r in rows
            if r["date"] == "07/05/2026"
            and r["pupil"] == "Jamie Testpupil"
            and r["session"] == "AM"
        )
        assert late["mark"] == "B" and "arrived late" in late["what_happened"]
        # Bad dates are refused with a message, and nothing is written.
        assert (
            await asyncio.to_thread(
                main,
                [
                    "marks",
                    "--school",
                    "Elm Park School",
                    "--from",
                    "31/02/2026",
                    "--to",
                    "08/05/2026",
                ],
            )
            == 2
        )
        assert (
            await asyncio.to_thread(
                main, ["marks", "--school", "Nowhere", "--from", "04/05/2026", "--to", "08/05/2026"]
            )
            == 2
        )
    finally:
        get_settings.cache_clear()
    assert ids
