"""`apbot import organisations`: an LA's establishments from the DfE's GIAS export, on SQLite
and (with TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from storage.models import AuditEntry, Organisation, OrgKind, RegistrationStatus
from storage.services import directory
from storage.services.audit import Change
from tests.support.cli import GIAS_SAMPLE, Apbot, write_csv
from tests.support.database import TEST_NOW, Database

HEADING = (
    "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),"
    "EstablishmentStatus (name),UKPRN,Street,Town,Postcode"
)


async def _organisations(db: Database) -> dict[str, Organisation]:
    async with db.sessions() as session:
        return {o.name: o for o in await session.scalars(select(Organisation))}


async def test_the_sample_loads_an_las_schools_and_ap_once(db: Database, apbot: Apbot) -> None:
    ran = await apbot("import", "organisations", str(GIAS_SAMPLE), "--la", "999")

    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        "Set up the local authority Northbrook (the file's LA name).",
        "1 closed establishment(s) skipped.",
        "Imported establishments: 6 added, 0 updated, 0 unchanged, 0 refused.",
    ]
    held = await _organisations(db)
    la = held["Northbrook"]
    assert la.kind == OrgKind.local_authority
    assert "Westmoor Academy" not in held  # another LA's
    assert "Old Mill Junior School" not in held  # closed
    expected = {
        "Oakfield Academy": (OrgKind.school, None),
        "Riverside High School": (OrgKind.school, None),
        "St Aidan\u2019s Church of England Primary School": (OrgKind.school, None),  # cp1252
        "Horizon Learning Centre": (OrgKind.provider, RegistrationStatus.ap_academy),
        "Bridgeway Pupil Referral Unit": (OrgKind.provider, RegistrationStatus.pru),
        "Northbrook Futures AP Free School": (OrgKind.provider, RegistrationStatus.ap_free_school),
    }
    assert {
        name: (o.kind, o.registration_status) for name, o in held.items() if o.id != la.id
    } == expected
    horizon = held["Horizon Learning Centre"]
    assert (horizon.urn, horizon.ukprn, horizon.la_id) == ("999101", "10099911", la.id)
    assert horizon.address == "Unit 3, Canal Street, Northbrook, NB4 2EX"

    again = await apbot("import", "organisations", str(GIAS_SAMPLE), "--la", "999")

    assert again.code == 0
    assert "0 added, 0 updated, 6 unchanged, 0 refused." in again.out
    assert len(await _organisations(db)) == 7


async def test_bad_lines_are_refused_by_number_and_a_dry_run_changes_nothing(
    db: Database, apbot: Apbot, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "edubase.csv",
        HEADING,
        "999001,999,Northbrook,Oakfield Academy,Academy converter,Open,,Oakfield Lane,Northbrook,NB2 4QT",
        "99900,999,Northbrook,Short URN School,Community school,Open,,,,",
        "999005,999,Northbrook,,Community school,Open,1234,,,",
        "999006,999,Northbrook,University of Northbrook,Higher education institutions,Open,,,,",
        encoding="utf-8-sig",
    )

    dry = await apbot("import", "organisations", str(path), "--dry-run")

    assert dry.code == 2
    assert dry.out.splitlines() == [
        "line 3: URN: a URN is 6 digits; '99900' is not",
        "line 4: UKPRN: a UKPRN is 8 digits; '1234' is not; EstablishmentName: missing",
        "Set up the local authority Northbrook (the file's LA name).",
        "1 establishment(s) that are not schools (universities, overseas, Welsh, miscellaneous) "
        "skipped.",
        "Would import establishments: 1 added, 0 updated, 0 unchanged, 2 refused.",
        "Dry run: nothing was changed.",
    ]
    assert await _organisations(db) == {}

    done = await apbot("import", "organisations", str(path))

    assert done.code == 2
    assert "Imported establishments: 1 added, 0 updated, 0 unchanged, 2 refused." in done.out
    assert set(await _organisations(db)) == {"Northbrook", "Oakfield Academy"}


async def test_one_set_up_by_hand_gets_its_urn_and_changes_are_audited(
    db: Database, apbot: Apbot
) -> None:
    async with db.sessions() as session, session.begin():
        la = await directory.add_organisation(
            session,
            Change(None, "cli", TEST_NOW),
            kind=OrgKind.local_authority,
            name="Northbrook Borough Council",
        )
        await directory.add_organisation(
            session, Change(None, "cli", TEST_NOW), kind=OrgKind.school, name="Oakfield Academy"
        )
        await directory.add_organisation(
            session,
            Change(None, "cli", TEST_NOW),
            kind=OrgKind.school,
            name="Bridgeway Pupil Referral Unit",
            urn="999102",
        )

    ran = await apbot(
        "import", "organisations", str(GIAS_SAMPLE), "--la", "999",
        "--la-org", "Northbrook Borough Council",
    )  # fmt: skip

    assert ran.code == 2
    assert (
        "line 7: Bridgeway Pupil Referral Unit is set up here as a school, but GIAS says an AP "
        "provider (Pupil referral unit); change it by hand"
    ) in ran.out
    assert "4 added, 1 updated, 0 unchanged, 1 refused." in ran.out
    held = await _organisations(db)
    assert "Northbrook" not in held  # they sit in the LA named
    oakfield = held["Oakfield Academy"]
    assert (oakfield.urn, oakfield.ukprn, oakfield.la_id) == ("999001", "10099901", la.id)
    async with db.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "updated", AuditEntry.record_id == oakfield.id
            )
        )
        created = await session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "created", AuditEntry.record_type == "Organisation"
            )
        )
    assert entry is not None and entry.channel == "cli"
    assert entry.changes["urn"] == {"from": None, "to": "999001"}
    assert created == 3 + 4


async def test_an_la_code_with_no_establishment_is_refused(apbot: Apbot) -> None:
    ran = await apbot("import", "organisations", str(GIAS_SAMPLE), "--la", "123")

    assert ran.code == 2
    assert "No establishment in the file has the LA code 123" in ran.err
