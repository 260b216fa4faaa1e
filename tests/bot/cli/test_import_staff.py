"""`apbot import staff`: a school's staff from its MIS export, on SQLite and (with
TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.models import AuditEntry, Person, Role
from tests.support.cli import GIAS_SAMPLE, STAFF_SAMPLE, Apbot, write_csv
from tests.support.database import Database


async def _staff(db: Database) -> dict[str, tuple[str, Role, str | None]]:
    async with db.sessions() as session:
        people = await session.scalars(select(Person))
        return {
            p.email: (p.name, p.role, p.organisation.name if p.organisation else None)
            for p in people
        }


@pytest.fixture
async def northbrook(apbot: Apbot) -> None:
    """The sample LA's schools and AP, loaded from the GIAS sample."""
    assert (await apbot("import", "organisations", str(GIAS_SAMPLE), "--la", "999")).code == 0


async def test_the_sample_staff_load_with_their_roles_once(
    db: Database, apbot: Apbot, northbrook: None
) -> None:
    ran = await apbot("import", "staff", str(STAFF_SAMPLE), "--org", "999001")

    assert ran.code == 0, ran.err
    assert ran.out == "Imported staff: 5 added, 0 updated, 0 unchanged, 0 refused.\n"
    oakfield = "Oakfield Academy"
    assert await _staff(db) == {
        "teacher@oakfield.example": ("Sam Okafor", Role.teacher, oakfield),
        "dsl@oakfield.example": ("Helen Ward", Role.dsl, oakfield),
        "deputy.dsl@oakfield.example": ("Tom Reilly", Role.dsl, oakfield),
        "p.shah@oakfield.example": ("Priya Shah", Role.teacher, oakfield),
        "o.hughes@oakfield.example": ("Owen Hughes", Role.teacher, oakfield),
    }
    async with db.sessions() as session:
        audited = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.record_type == "Person"))
        )
    assert [(e.action, e.channel) for e in audited] == [("created", "cli")] * 5

    again = await apbot("import", "staff", str(STAFF_SAMPLE), "--org", "Oakfield Academy")

    assert again.out == "Imported staff: 0 added, 0 updated, 5 unchanged, 0 refused.\n"
    async with db.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry.id)))
    assert len(entries) == 7 + 5  # the LA, its 6 establishments, 5 people: nothing more


async def test_a_changed_row_updates_and_nobody_missing_is_removed(
    db: Database, apbot: Apbot, northbrook: None, tmp_path: Path
) -> None:
    await apbot("import", "staff", str(STAFF_SAMPLE), "--org", "999001")
    changed = write_csv(
        tmp_path,
        "staff.csv",
        "Name,Email,Role",
        "Sam Okafor,Teacher@Oakfield.example,Deputy Designated Safeguarding Lead",
        "Helen Ward,dsl@oakfield.example,DSL",
    )

    ran = await apbot("import", "staff", str(changed), "--org", "999001")

    assert ran.code == 0
    assert ran.out.splitlines() == [
        "Imported staff: 0 added, 1 updated, 1 unchanged, 0 refused.",
        "3 in the database are not in this file; nothing was removed.",
    ]
    staff = await _staff(db)
    assert staff["teacher@oakfield.example"][1] == Role.dsl
    assert len(staff) == 5
    async with db.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "updated"))
    assert entry is not None and entry.changes == {"role": {"from": "teacher", "to": "dsl"}}


async def test_bad_lines_are_refused_with_their_numbers_and_the_rest_loads(
    db: Database, apbot: Apbot, northbrook: None, tmp_path: Path
) -> None:
    await apbot("import", "staff", str(STAFF_SAMPLE), "--org", "999001")
    path = write_csv(
        tmp_path,
        "staff.csv",
        "Forename,Surname,Email Address,Role",
        "Pat,Quinn,p.quinn@oakfield.example,Caretaker",
        "Lee,Ray,not-an-email,Teacher",
        "Ann,Lowe,a.lowe@oakfield.example,Teacher",
        "Ann,Lowe,A.Lowe@oakfield.example,Head of Year",
        ",,k.nash@oakfield.example,Teacher",
        "Sam,Okafor,teacher@oakfield.example,Teacher",
    )

    dry = await apbot("import", "staff", str(path), "--org", "Riverside High School", "--dry-run")

    assert dry.code == 2
    assert dry.out.splitlines() == [
        "line 2: Role: 'Caretaker' is not a role we know "
        "(teacher, Teaching Assistant, Head of Year, DSL, Deputy DSL, ...)",
        "line 3: Email: 'not-an-email' does not look like an email address",
        "line 5: a.lowe@oakfield.example is on line 4 too",
        "line 6: the name is missing",
        "line 7: teacher@oakfield.example is already set up at Oakfield Academy; "
        "change them there by hand",
        "Would import staff: 1 added, 0 updated, 0 unchanged, 5 refused.",
        "Dry run: nothing was changed.",
    ]
    assert len(await _staff(db)) == 5

    done = await apbot("import", "staff", str(path), "--org", "Riverside High School")

    assert done.code == 2
    staff = await _staff(db)
    assert staff["a.lowe@oakfield.example"] == ("Ann Lowe", Role.teacher, "Riverside High School")
    assert len(staff) == 6


async def test_a_role_that_does_not_fit_the_organisation_is_a_bad_line(
    apbot: Apbot, northbrook: None, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "staff.csv", "Name,Email,Role", "Jo Bell,jo@horizon.example,DSL")

    ran = await apbot("import", "staff", str(path), "--org", "Horizon Learning Centre")

    assert ran.code == 2
    assert ran.out.startswith(
        "line 2: Someone with the role dsl works at a school; Horizon Learning Centre is not one."
    )


async def test_a_file_without_an_email_column_changes_nothing(
    apbot: Apbot, northbrook: None, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "staff.csv", "Name,Role", "Jo Bell,Teacher")

    ran = await apbot("import", "staff", str(path), "--org", "999001")

    assert ran.code == 2
    assert ran.err.startswith("The file has no column for: Email (a column headed 'Email'")


def test_the_demo_schools_staff_are_the_sample_file(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["import", "staff", str(STAFF_SAMPLE), "--org", "Oakfield Academy"]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "Imported staff: 2 added, 0 updated, 3 unchanged, 0 refused."
    ]


async def test_a_file_without_a_name_column_changes_nothing(
    db: Database, apbot: Apbot, northbrook: None, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "staff.csv", "Email,Role", "jo@oakfield.example,Teacher")

    ran = await apbot("import", "staff", str(path), "--org", "999001")

    assert ran.code == 2
    assert ran.err.startswith("The file has no column for: Name (a column headed 'Name'")
    assert await _staff(db) == {}
