"""`apbot census --term autumn-2026 --school NAME [--out FILE.csv]`: the school census's AP
placement records, as the school's data manager runs it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from sqlalchemy import select

from storage.models import AuditEntry, OrgKind, RegistrationStatus
from storage.services import directory
from storage.services.audit import Change
from storage.services.placements import end_placement
from tests.support.cli import Apbot
from tests.support.factories import build_world, place

COLUMNS = [
    "upn", "surname", "forename", "date_of_birth", "placement_reference", "provider", "urn",
    "ukprn", "setting_type", "entry_date", "leaving_date", "reason", "sessions_per_week",
]  # fmt: skip


async def _placements(db, clock) -> dict[str, str]:
    """Elm Park's placements around the autumn 2026 census period (21/05/2026 to 01/10/2026),
    and one of Birch Lane's; their references by what they show."""
    world = await build_world(db, clock)
    change = Change(person_id=world.teacher.id, channel="test", at=clock.now())
    async with db.sessions() as session, session.begin():
        college = await directory.add_organisation(
            session,
            change,
            kind=OrgKind.provider,
            name="Testtown College",
            ukprn="10000001",
            registration_status=RegistrationStatus.unregistered,
        )

        async def at(provider, start, *, by=world.teacher, pupil=world.pupil, days=None):
            more = {"days": days, "provider_hours": "10", "school_hours": "7.5"} if days else {}
            return await place(
                session, clock, by=by, pupil=pupil, provider=provider, start=start, **more
            )

        before = await at(world.provider, dt.date(2026, 4, 20))
        during = await at(world.unregistered, dt.date(2026, 9, 7), pupil=world.fsm_pupil,
                          days=("mon", "tue"))  # fmt: skip
        ended_in = await at(college, dt.date(2026, 3, 2))
        ended_before = await at(world.provider, dt.date(2026, 1, 5))
        after = await at(world.provider, dt.date(2026, 11, 2))
        other_school = await at(world.provider, dt.date(2026, 9, 7), by=world.other_teacher,
                                pupil=world.other_pupil)  # fmt: skip
        for placement, last_day in ((ended_in, dt.date(2026, 7, 17)),
                                    (ended_before, dt.date(2026, 3, 27))):  # fmt: skip
            await end_placement(
                session,
                change,
                placement,
                ended_on=last_day,
                outcome="returned_to_school",
                return_date=None,
                reintegration_notes=None,
            )
    return {
        "before": before.reference,
        "during": during.reference,
        "ended_in": ended_in.reference,
        "ended_before": ended_before.reference,
        "after": after.reference,
        "other_school": other_school.reference,
    }


async def test_census_writes_the_placements_open_in_the_period_and_those_that_ended_in_it(
    db, clock, apbot: Apbot, tmp_path: Path
) -> None:
    refs = await _placements(db, clock)
    out = tmp_path / "census.csv"
    ran = await apbot("census", "--term", "autumn-2026", "--school", "Elm Park School",
                      "--out", str(out))  # fmt: skip
    assert ran.code == 0, ran.err
    assert (
        f"Wrote 3 AP placement records for Elm Park School, autumn census 2026 (placements open "
        f"from 21/05/2026 to census day 01/10/2026) to {out}." in ran.out
    )
    assert "without a reason for placement" not in ran.err  # `start` asked why (here: other)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {row["reason"] for row in rows} == {"OTH"}
    assert list(rows[0]) == COLUMNS
    by_ref = {row["placement_reference"]: row for row in rows}
    # Started before and still open; ended in the period; started in it. Not the placement
    # that ended before, the one that starts after census day, nor another school's.
    assert list(by_ref) == [refs["ended_in"], refs["before"], refs["during"]]
    ended_in, before, during = (by_ref[refs[key]] for key in ("ended_in", "before", "during"))
    assert (before["entry_date"], before["leaving_date"]) == ("2026-04-20", "")
    assert (ended_in["entry_date"], ended_in["leaving_date"]) == ("2026-03-02", "2026-07-17")
    assert (during["entry_date"], during["leaving_date"]) == ("2026-09-07", "")
    # Exactly one of URN, UKPRN or setting type: the URN if the provider has one, else the
    # UKPRN, else the setting type.
    assert (before["urn"], before["ukprn"], before["setting_type"]) == ("900100", "", "")
    assert (ended_in["urn"], ended_in["ukprn"], ended_in["setting_type"]) == ("", "10000001", "")
    assert (during["urn"], during["ukprn"], during["setting_type"]) == ("", "", "OTH")
    for row in rows:
        assert sum(1 for key in ("urn", "ukprn", "setting_type") if row[key]) == 1
    assert (before["sessions_per_week"], during["sessions_per_week"]) == ("10", "4")
    assert (before["surname"], before["forename"]) == ("Testpupil", "Jamie")
    # The file carries pupils' names out of the bot: the audit log says so.
    async with db.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "census_exported")
        )
    assert entry is not None and entry.channel == "cli"
    assert entry.changes["census"] == "autumn census 2026"
    assert set(entry.changes["placements"]) == {refs["ended_in"], refs["before"], refs["during"]}


async def test_census_prints_the_csv_without_out(db, clock, apbot: Apbot) -> None:
    refs = await _placements(db, clock)
    ran = await apbot("census", "--term", "spring-2027", "--school", "Elm Park School")
    assert ran.code == 0, ran.err
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    # Spring 2027 (01/10/2026 to 21/01/2027): the open ones, and the one starting 02/11/2026.
    assert [row["placement_reference"] for row in rows] == [
        refs["before"], refs["during"], refs["after"]
    ]  # fmt: skip
    assert "spring census 2027 (placements open from 01/10/2026 to census day 21/01/2027)" in (
        ran.err
    )


async def test_census_refuses_an_unknown_school_a_provider_or_a_bad_term(
    db, clock, apbot: Apbot
) -> None:
    await build_world(db, clock)
    ran = await apbot("census", "--term", "autumn-2026", "--school", "Nowhere School")
    assert ran.code == 2
    assert "No organisation is called (or numbered) Nowhere School" in ran.err
    ran = await apbot("census", "--term", "autumn-2026", "--school", "Pathways AP Academy")
    assert ran.code == 2
    assert "Pathways AP Academy is not a school" in ran.err
    ran = await apbot("census", "--term", "autumn", "--school", "Elm Park School")
    assert ran.code == 2
    assert "--term: 'autumn' is not a census term" in ran.err and "autumn-2026" in ran.err
    assert ran.out == ""
