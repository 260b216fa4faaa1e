"""`apbot import pupils`: a school's pupils from its MIS export, on SQLite and (with
TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage.imports.pupils import upn_check_letter
from storage.models import AuditEntry, Organisation, Pupil
from storage.services import directory
from storage.services.audit import Change
from tests.support.cli import GIAS_SAMPLE, PUPILS_SAMPLE, Apbot, write_csv
from tests.support.database import TEST_NOW, Database

HEADING = "UPN,Legal Surname,Legal Forename,Date of Birth,Year Group,FSM,EHCP,CP,CiN,Looked After"


async def _pupils(db: Database) -> dict[str, Pupil]:
    async with db.sessions() as session:
        return {p.full_name: p for p in await session.scalars(select(Pupil).order_by(Pupil.id))}


def _flags(pupil: Pupil) -> set[str]:
    names = ("fsm_eligible", "ehcp", "cp_plan", "cin_plan", "looked_after")
    return {name for name in names if getattr(pupil, name)}


@pytest.fixture
async def northbrook(apbot: Apbot) -> None:
    """The sample LA's schools and AP, loaded from the GIAS sample."""
    assert (await apbot("import", "organisations", str(GIAS_SAMPLE), "--la", "999")).code == 0


def test_a_upns_check_letter_is_dfes() -> None:
    assert upn_check_letter("B801200005001") == "B"  # DfE's worked example
    assert upn_check_letter("X99920012601A") == "F"  # a temporary UPN ends in a letter


async def test_the_sample_pupils_load_sealed_once(
    db: Database, apbot: Apbot, northbrook: None
) -> None:
    ran = await apbot("import", "pupils", str(PUPILS_SAMPLE), "--org", "999001")

    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        "Imported pupils: 6 added, 0 updated, 0 unchanged, 0 refused.",
    ]
    pupils = await _pupils(db)
    assert {
        name: (p.upn, p.date_of_birth, p.year_group, _flags(p), p.home_org.name)
        for name, p in pupils.items()
    } == {
        "Tyler Ashdown": ("P999000000101", dt.date(2012, 3, 14), 10, {"fsm_eligible"}, "Oakfield Academy"),
        "Maisie Holt": ("D999000000102", dt.date(2012, 11, 2), 9, {"ehcp"}, "Oakfield Academy"),
        "Callum Price": (None, dt.date(2011, 6, 21), 11, set(), "Oakfield Academy"),
        "Leah Marsh": (None, dt.date(2013, 9, 30), 8, {"cin_plan"}, "Oakfield Academy"),
        "Jayden Frost": ("G999200126001", dt.date(2015, 1, 5), 7, {"fsm_eligible"}, "Oakfield Academy"),
        "Ruby Lane": ("W999200126002", dt.date(2012, 7, 19), 10, {"looked_after"}, "Oakfield Academy"),
    }  # fmt: skip
    async with db.engine.connect() as connection:
        stored = (
            await connection.execute(text("SELECT first_name, last_name, upn FROM pupils"))
        ).all()
    assert not any("Tyler" in str(v) or "P999000000101" in str(v) for row in stored for v in row)
    # Jayden goes by Jay, Callum by Cal; the others by their legal forenames (nothing held).
    assert {name: p.preferred_name for name, p in pupils.items() if p.preferred_name} == {
        "Jayden Frost": "Jay",
        "Callum Price": "Cal",
    }
    assert pupils["Jayden Frost"].known_as == "Jay (legal name Jayden Frost)"
    assert pupils["Tyler Ashdown"].known_as == "Tyler Ashdown"
    async with db.engine.connect() as connection:
        sealed = (await connection.execute(text("SELECT preferred_name FROM pupils"))).all()
    assert not any(row[0] == "Jay" for row in sealed)

    again = await apbot("import", "pupils", str(PUPILS_SAMPLE), "--org", "Oakfield Academy")

    assert "Imported pupils: 0 added, 0 updated, 6 unchanged, 0 refused." in again.out
    async with db.sessions() as session:
        audited = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.record_type == "Pupil"))
        )
    assert [e.action for e in audited] == ["created"] * 6
    assert all(e.changes["first_name"] == "(recorded)" for e in audited)


async def test_a_preferred_name_is_updated_audited_without_it_and_kept_when_not_in_the_file(
    db: Database, apbot: Apbot, northbrook: None, tmp_path: Path
) -> None:
    await apbot("import", "pupils", str(PUPILS_SAMPLE), "--org", "999001")
    renamed = write_csv(
        tmp_path,
        "renamed.csv",
        "UPN,Legal Surname,Legal Forename,Preferred Forename,Preferred Surname,DOB,Year",
        "G999200126001,Frost,Jayden,JJ,,05/01/2015,7",  # goes by JJ now
        "W999200126002,Lane,Ruby,Ruby,Lane-Smith,19/07/2012,10",  # a new surname too
        "P999000000101,Ashdown,Tyler,,,14/03/2012,10",  # blank: his legal name
    )
    ran = await apbot("import", "pupils", str(renamed), "--org", "999001")
    assert "0 added, 2 updated, 1 unchanged, 0 refused" in ran.out, ran.out
    pupils = await _pupils(db)
    assert pupils["Jayden Frost"].known_as == "JJ (legal name Jayden Frost)"
    assert pupils["Ruby Lane"].known_as == "Ruby Lane-Smith (legal name Ruby Lane)"
    async with db.sessions() as session:
        updates = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "updated"))
        )
    assert [e.changes for e in updates] == [{"preferred_name": "(changed)"}] * 2
    assert "JJ" not in str([e.changes for e in updates])

    # The same file again changes nothing; a file without the columns leaves the names alone.
    again = await apbot("import", "pupils", str(renamed), "--org", "999001")
    assert "0 added, 0 updated, 3 unchanged" in again.out
    without = write_csv(
        tmp_path,
        "plain.csv",
        "UPN,Surname,Forename,DOB,Year",
        "G999200126001,Frost,Jayden,05/01/2015,7",
    )
    assert (
        "0 updated, 1 unchanged"
        in (await apbot("import", "pupils", str(without), "--org", "999001")).out
    )
    assert (await _pupils(db))["Jayden Frost"].preferred_name == "JJ"


async def test_a_changed_row_updates_matched_by_upn_or_by_name_and_birthday(
    db: Database, apbot: Apbot, northbrook: None, tmp_path: Path
) -> None:
    await apbot("import", "pupils", str(PUPILS_SAMPLE), "--org", "999001")
    path = write_csv(
        tmp_path,
        "pupils.csv",
        "UPN,Surname,Forename,DOB,NC Year,Child Protection",
        "P999000000101,Ashdown,Tyler,14/03/2012,10,Yes",  # now on a CP plan
        "K999200126003,Price,Callum,2011-06-21,Y11,No",  # his UPN, at last
    )

    ran = await apbot("import", "pupils", str(path), "--org", "999001")

    assert ran.code == 0
    assert ran.out.splitlines() == [
        "Imported pupils: 0 added, 2 updated, 0 unchanged, 0 refused.",
        "4 in the database are not in this file; nothing was removed.",
    ]
    pupils = await _pupils(db)
    assert _flags(pupils["Tyler Ashdown"]) == {"fsm_eligible", "cp_plan"}  # FSM left as it was
    assert pupils["Callum Price"].upn == "K999200126003"
    assert len(pupils) == 6
    async with db.sessions() as session:
        updates = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "updated"))
        )
    assert [e.changes for e in updates] == [{"cp_plan": "(changed)"}, {"upn": "(changed)"}]


async def test_bad_lines_are_refused_with_their_numbers_and_a_dry_run_changes_nothing(
    db: Database, apbot: Apbot, northbrook: None, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "pupils.csv",
        HEADING,
        "A999000000101,Ashdown,Tyler,14/03/2012,10,Y,N,N,N,N",
        "P99900000010,Holt,Maisie,02/11/2012,9,N,Y,N,N,N",
        ",Price,,31/02/2011,Year 19,maybe,N,N,N,N",
        "G999200126001,Frost,Jayden,05/01/2015,7,Y,N,N,N,N",
        "G999200126001,Frost,Jay,05/01/2015,7,Y,N,N,N,N",
        ",Nova,Baby,01/01/2099,R,N,N,N,N,N",
    )

    dry = await apbot("import", "pupils", str(path), "--org", "999001", "--dry-run")

    assert dry.code == 2
    assert dry.out.splitlines() == [
        "line 2: UPN: A999000000101's check letter is wrong (its digits call for P)",
        "line 3: UPN: A UPN is 13 characters: a letter, then 12 digits (or 11 digits and a letter)",
        "line 4: Legal forename: missing; Date of birth: '31/02/2011' is not a date (write it "
        "like 14/03/2011); Year group: 'Year 19' is not a year group (R, or 1 to 14); "
        "FSM: 'maybe' is not yes or no",
        "line 6: the UPN G999200126001 is on line 5 too",
        "line 7: Date of birth: must be in the past",
        "Would import pupils: 1 added, 0 updated, 0 unchanged, 5 refused.",
        "Dry run: nothing was changed.",
    ]
    assert await _pupils(db) == {}

    done = await apbot("import", "pupils", str(path), "--org", "999001")

    assert done.code == 2
    assert list(await _pupils(db)) == ["Jayden Frost"]


async def test_pupils_do_not_belong_to_a_provider(apbot: Apbot, northbrook: None) -> None:
    ran = await apbot("import", "pupils", str(PUPILS_SAMPLE), "--org", "Horizon Learning Centre")

    assert ran.code == 2
    assert "Horizon Learning Centre is an AP provider" in ran.err


async def test_a_pupil_added_in_chat_without_a_birthday_is_matched_by_name(
    db: Database, apbot: Apbot, northbrook: None
) -> None:
    async with db.sessions() as session, session.begin():
        oakfield = await session.scalar(select(Organisation).where(Organisation.urn == "999001"))
        assert oakfield is not None
        await directory.add_pupil(
            session,
            Change(None, "slack", TEST_NOW),
            home_org_id=oakfield.id,
            first_name="Callum",
            last_name="Price",
            year_group=11,
        )  # as `start` adds a pupil: no date of birth, no UPN

    ran = await apbot("import", "pupils", str(PUPILS_SAMPLE), "--org", "999001")

    assert "Imported pupils: 5 added, 1 updated, 0 unchanged, 0 refused." in ran.out
    pupils = await _pupils(db)
    assert len(pupils) == 6
    assert pupils["Callum Price"].date_of_birth == dt.date(2011, 6, 21)
