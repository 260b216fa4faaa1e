"""Attack: someone with a copy of the database (a backup, a stolen laptop, a curious insider
with read access to the file) reads it with plain SQL. After a realistic placement, nothing
people typed about a pupil is there in clear, in any table, and the audit log (which outlives
a purge) holds no identifier or flag of a pupil, only that it was recorded or changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import inspect, select, text

from storage.models import AuditEntry, PartTimeTimetable, Pupil
from storage.services import directory
from storage.services.audit import Change, audit_updated, snapshot
from storage.services.audit_trail import placement_trail
from storage.services.conversation_refs import save_person_ref
from storage.services.placements import find_by_reference
from tests.support.answers import CHECKLIST_ALL_DONE, PART_TIME_AGREED
from tests.support.chat import JsonChat
from tests.support.database import Database
from tests.support.factories import build_world

# What people type about the pupil, each distinctive enough to find in a dump.
TYPED = {
    "first_name": "Peregrine",
    "last_name": "Ashcombe-Vale",
    "preferred_name": "Perry Quintavalle",
    "upn": "H801200001234",
    "part_time_circumstances": "Panic attacks since Uncle Ignatius left",
    "welfare_call_arrangements": "Ring auntie Marguerite on the landline",
    "objectives": "Rebuild trust after the knife incident",
    "return_plan": "Return via nurture group Kestrel",
    "na_reason": "Walks with grandad Bartholomew",
    "evidence": "Letter signed by Ms Quillfeather",
    "pupil_voice": "I feel scared on the minibus",
    "actions_agreed": "Separate him from cousin Thaddeus",
    "summary": "Key worker says stepdad Fitzgerald shouts",
    "reintegration_notes": "Needs a mentor because of Oswaldo",
    "progress_note": "Talks about cousin Ignatius less now",
    "pupil_view_at_end": "Miss Pemberton-Hale made me feel safe",
    "slack_copy": "Reason: mum says he was hit at home",
    "reason_detail": "Respite after brother Leopold's arrest",
}
BIRTHDAY = dt.date(2013, 4, 17)


async def _dump(db: Database) -> list[tuple[str, str, str]]:
    """Every value of every column of every table, as text: (table, column, value)."""
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        found = []
        for table in tables:
            result = await connection.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result.all():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        found.append((table, column, str(value)))
    return found


async def _a_realistic_placement(db: Database, clock: Any) -> tuple[Any, str]:
    """A DSL places a new pupil (with a CP plan) on an agreed part-time timetable, ticks checks,
    logs a visit and a contact, ends the placement; Slack keeps a copy of a question asked."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        pupil = await directory.add_pupil(
            session,
            Change(person_id=world.admin.id, channel="cli", at=clock.now()),
            home_org_id=world.school.id,
            first_name=TYPED["first_name"],
            last_name=TYPED["last_name"],
            year_group=8,
            upn=TYPED["upn"],
            date_of_birth=BIRTHDAY,
            cp_plan=True,
            looked_after=True,
            preferred_name=TYPED["preferred_name"],
        )
    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    answers = {
        "pupil": f"pupil-{pupil.id}",
        "reason": "other",
        "reason_detail": TYPED["reason_detail"],
        "provider": f"provider-{world.provider.id}",
        "site": "1",
        "start_date": "02/11/2026",
        "planned_end_date": "05/02/2027",
        "provider_days": "mon, tue, wed",
        "provider_hours": "15",
        "school_hours": "7.5",
        "school_days": "",
        **PART_TIME_AGREED,
        "part_time_circumstances": TYPED["part_time_circumstances"],
        "attendance_code": "",
        "absence_deadline": "",
        "welfare_call_party": "provider",
        "welfare_call_arrangements": TYPED["welfare_call_arrangements"],
        "objectives": TYPED["objectives"],
        "objective_target.1": "",
        "return_plan": TYPED["return_plan"],
        **CHECKLIST_ALL_DONE,
        "check.letter_of_assurance.evidence": TYPED["evidence"],
        "check.travel_provider_qa": "na",
        "check.travel_provider_qa.reason": TYPED["na_reason"],
        "confirm": "yes",
    }
    out = await dsl.answer_all(answers, start="start placement")
    assert out[-1]["type"] == "done", out[-1]
    reference = out[-1]["record"]["reference"]
    out = await dsl.answer_all(
        {
            "placement": reference,
            "visit_date": "",
            "pupil_seen": "yes",
            "pupil_voice": TYPED["pupil_voice"],
            "setting_safe": "yes",
            "register_matches": "yes",
            "any_concerns": "no",
            "rating": "good",
            "actions_agreed": TYPED["actions_agreed"],
            "progress.1": "some progress",
            "progress.1.note": TYPED["progress_note"],
            "next_visit_due": "",
            "confirm": "yes",
        },
        start="log visit",
    )
    assert out[-1]["type"] == "done", out[-1]
    out = await dsl.answer_all(
        {
            "placement": reference,
            "with_whom": "Parent or carer",
            "contact_date": "yesterday",
            "method": "Phone call",
            "summary": TYPED["summary"],
        },
        start="weekly contact",
    )
    assert out[-1]["type"] == "done", out[-1]
    out = await dsl.answer_all(
        {
            "placement": reference,
            "ended_on": "26/11/2026",
            "outcome": "Moved to another AP",
            "pupil_view": TYPED["pupil_view_at_end"],
            "reintegration_notes": TYPED["reintegration_notes"],
            "confirm": "yes",
        },
        start="finish placement",
    )
    assert out[-1]["type"] == "done", out[-1]
    # What the Slack channel keeps to close a question once answered: the question's text.
    async with db.sessions() as session, session.begin():
        await save_person_ref(
            session,
            platform="slack",
            person_id=world.dsl.id,
            conversation_id="DUDSL",
            reference={
                "open_prompt": {
                    "channel": "DUDSL",
                    "ts": "1800000000.000100",
                    "prompt_id": "p1",
                    "text": f"Absent today, AM. {TYPED['slack_copy']}. Save?",
                }
            },
            at=clock.now(),
        )
    return world, reference


async def test_nothing_typed_about_a_pupil_is_in_the_raw_database(db, clock) -> None:
    _, reference = await _a_realistic_placement(db, clock)
    dump = await _dump(db)
    assert any(table == "placements" for table, _, _ in dump)  # the dump sees the records
    leaks = {
        what: [(table, column) for table, column, value in dump if typed.lower() in value.lower()]
        for what, typed in TYPED.items()
    }
    assert {what: where for what, where in leaks.items() if where} == {}
    # The date of birth stays a date in the pupil's own row (see docs/privacy.md), nowhere else.
    birthday = [
        (table, column)
        for table, column, value in dump
        if (BIRTHDAY.isoformat() in value or f"{BIRTHDAY:%d/%m/%Y}" in value)
        and (table, column) != ("pupils", "date_of_birth")
    ]
    assert birthday == []

    # The app still reads every word back.
    async with db.sessions() as session:
        placement = await find_by_reference(session, reference)
        assert placement is not None
        assert placement.objectives == TYPED["objectives"]
        circumstances = await session.scalar(
            select(PartTimeTimetable.circumstances).where(
                PartTimeTimetable.placement_id == placement.id
            )
        )
        assert circumstances == TYPED["part_time_circumstances"]
        assert placement.pupil.upn == TYPED["upn"]
        assert placement.reason_detail == TYPED["reason_detail"]
        assert placement.pupil.preferred_name == TYPED["preferred_name"]


async def test_the_audit_log_holds_no_pupil_identifier_or_flag(db, clock) -> None:
    world = await build_world(db, clock)
    change = Change(person_id=world.admin.id, channel="cli", at=clock.now())
    async with db.sessions() as session, session.begin():
        protected = await directory.add_pupil(
            session,
            change,
            home_org_id=world.school.id,
            first_name="Peregrine",
            last_name="Ashcombe-Vale",
            year_group=8,
            upn=TYPED["upn"],
            date_of_birth=BIRTHDAY,
            cp_plan=True,
            cin_plan=True,
            looked_after=True,
            ehcp=True,
            fsm_eligible=True,
        )
        unflagged = await directory.add_pupil(
            session, change, home_org_id=world.school.id, first_name="Ann", last_name="Other",
            year_group=8,
        )  # fmt: skip
    flags = ("cp_plan", "cin_plan", "looked_after", "ehcp", "fsm_eligible")
    async with db.sessions() as session:
        created = {
            entry.record_id: entry.changes
            for entry in await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.record_type == "Pupil", AuditEntry.action == "created"
                )
            )
        }
    # A flag is "(recorded)" whether it is set or not: the log cannot tell a CP plan from none.
    for flag in flags:
        assert created[protected.id][flag] == created[unflagged.id][flag] == "(recorded)"
    assert created[protected.id]["upn"] == created[protected.id]["date_of_birth"] == "(recorded)"

    # Corrections to a pupil's identifiers and flags: the log says which changed, not to what.
    async with db.sessions() as session, session.begin():
        pupil = await session.get(Pupil, protected.id)
        assert pupil is not None
        before = snapshot(pupil)
        pupil.upn = "H801200009999"
        pupil.date_of_birth = dt.date(2013, 5, 1)
        pupil.cp_plan = False
        await audit_updated(session, change, pupil, before)
    async with db.sessions() as session:
        updated = await session.scalar(select(AuditEntry).where(AuditEntry.action == "updated"))
    assert updated is not None
    assert updated.changes == {
        "upn": "(changed)",
        "date_of_birth": "(changed)",
        "cp_plan": "(changed)",
    }
    raw = " ".join(value for table, _, value in await _dump(db) if table == "audit_log")
    for value in ("H801200001234", "H801200009999", "2013-04-17", "2013-05-01"):
        assert value not in raw


async def test_the_trail_says_a_sealed_field_changed(db, clock) -> None:
    world, reference = await _a_realistic_placement(db, clock)
    change = Change(person_id=world.dsl.id, channel="terminal", at=clock.now())
    async with db.sessions() as session, session.begin():
        placement = await find_by_reference(session, reference)
        assert placement is not None
        before = snapshot(placement)
        placement.return_plan = "A different plan"
        await audit_updated(session, change, placement, before, placement_id=placement.id)
    async with db.sessions() as session:
        placement = await find_by_reference(session, reference)
        assert placement is not None
        lines = [line.as_text() for line in await placement_trail(session, placement)]
    assert any(line.endswith("changed the placement: return plan changed") for line in lines)
    assert not any("different plan" in line for line in lines)
