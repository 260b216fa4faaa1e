"""The DSL's daily digest for a realistic school, and the LA officer's across the LA."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from storage.clock import LONDON, FixedClock
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    ChronologyKind,
    ChronologySource,
    ContactMethod,
    ContactWith,
    Placement,
    RegisterSession,
)
from storage.rules.calendar import SchoolCalendar
from storage.services.attendance import confirm_all_present, report_absence
from storage.services.audit import Change
from storage.services.chronology import add_entry
from storage.services.contacts import log_contact
from storage.services.digest import build_digest
from tests.support.database import Database
from tests.support.factories import build_world, place
from tests.support.world import jamie_at_pathways

MONDAY, TUESDAY = dt.date(2027, 3, 22), dt.date(2027, 3, 23)


async def test_the_digest_says_what_a_dsl_needs_at_a_glance(
    db: Database, clock: FixedClock
) -> None:
    clock.set(dt.datetime(2027, 3, 1, 8, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        jamie = await place(session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
                            start=dt.date(2027, 3, 1), all_done=True)  # fmt: skip
        robin = await place(session, clock, by=world.dsl, pupil=world.fsm_pupil, provider=world.unregistered,
                            start=dt.date(2027, 3, 8), all_done=True)  # fmt: skip
        await session.execute(
            update(ChecklistItem)
            .where(ChecklistItem.placement_id == robin.id, ChecklistItem.key == "letter_of_assurance")
            .values(status=ChecklistStatus.not_done, due_date=dt.date(2027, 3, 15))
        )  # fmt: skip
        await session.execute(update(Placement).where(Placement.id == jamie.id).values(
            next_qa_due=dt.date(2027, 3, 25), planned_end_date=dt.date(2027, 4, 2)))  # fmt: skip
        await session.execute(update(Placement).where(Placement.id == robin.id).values(
            next_qa_due=dt.date(2027, 5, 1)))  # fmt: skip
    monday = dt.datetime.combine(MONDAY, dt.time(9, 10), tzinfo=LONDON)
    async with db.sessions() as session, session.begin():
        p = await session.get(Placement, jamie.id)
        assert p is not None
        # The school's own staff may code the illness I (a provider would propose it).
        await report_absence(session, Change(world.teacher.id, "test", monday), placement=p,
                             date=MONDAY, sessions=[RegisterSession.am, RegisterSession.pm], code="I", reason="Tummy bug")  # fmt: skip
        await confirm_all_present(session, Change(world.unregistered_staff.id, "test", monday),
                                  provider_id=world.unregistered.id, date=MONDAY)  # fmt: skip
        q = await session.get(Placement, robin.id)
        assert q is not None
        await add_entry(session, Change(world.dsl.id, "test", monday + dt.timedelta(hours=3)), placement=q,
                        kind=ChronologyKind.concern, source=ChronologySource.school,
                        text="Robin said an older boy asked for money on the bus.", entry_date=MONDAY,
                        shared_with=[])  # fmt: skip

    now = dt.datetime.combine(TUESDAY, dt.time(8, 0), tzinfo=LONDON)
    async with db.sessions() as session:
        dsl = await session.get(type(world.dsl), world.dsl.id)
        officer = await session.get(type(world.la_officer), world.la_officer.id)
        assert dsl is not None and officer is not None
        digest = await build_digest(session, dsl, now=now, calendar=SchoolCalendar())
        la_digest = await build_digest(session, officer, now=now, calendar=SchoolCalendar())

    j, r = f"Jamie Testpupil ({jamie.reference})", f"Robin Mealsworth ({robin.reference})"
    sections = {s["title"]: s["lines"] for s in digest.sections_payload}
    assert (
        digest.heading
        == "Daily safeguarding digest for Elm Park School, Tuesday 23/03/2027: 2 active placement(s)."
    )
    assert sections["Absences reported since Mon 22/03 08:00"] == [
        f"{j}: absent Mon 22/03 AM and PM, code I: Illness (not medical or dental appointment); reason: Tummy bug; welfare call NOT YET DONE"
    ]
    assert sections["Welfare calls outstanding"] == [
        f"{j}: absent Mon 22/03, call by Pathways AP Academy"
    ]
    assert sections["Overdue checks"] == [f"{r}: Letter of Assurance received, due Mon 15/03"]
    assert sections["QA visits due this week"] == [f"{j} at Pathways AP Academy: due Thu 25/03"]
    assert sections["Placements ending within 14 days"] == [f"{j}: ends Fri 02/04"]
    [entry] = sections["New chronology entries since Mon 22/03 08:00"]
    assert entry.startswith(f"{r}: concern from the school (Mon 22/03): Robin said an older boy")
    attendance = sections["Attendance over the last 4 weeks"]
    assert sorted(attendance) == sorted(
        [
            f"{j}: 0% (0 of 32 possible sessions attended; 2 absent: 2 authorised, "
            "0 unauthorised; 30 with no report from the provider, not attended)",
            f"{r}: 9.1% (2 of 22 possible sessions attended; 20 with no report from the "
            "provider, not attended)",
        ]
    )
    assert "*Overdue checks*" in digest.text and "• " + j in digest.text

    # The LA officer sees the LA's placements by reference, without reasons or the chronology.
    la_text = la_digest.text
    assert "Jamie" not in la_text and "Tummy bug" not in la_text and "older boy" not in la_text
    assert (
        f"{jamie.reference} (Elm Park School): absent Mon 22/03 AM and PM, code I: Illness (not medical or dental appointment)"
        in la_text
    )


async def test_the_digest_counts_contacts_with_the_provider_parents_and_the_pupil_apart(
    db: Database, clock: FixedClock
) -> None:
    """Issue 16 item 5: two calls with a parent must not read as contact with the provider."""
    world, jamie = await jamie_at_pathways(db, clock)  # today: Friday 27/11/2026
    async with db.sessions() as session, session.begin():
        placement = await session.get(Placement, jamie.id)
        assert placement is not None
        change = Change(world.teacher.id, "test", clock.now())
        for day, with_whom in (
            (19, ContactWith.provider),  # 8 days ago: before the week counted
            (21, ContactWith.provider),
            (23, ContactWith.parent_carer),
            (26, ContactWith.parent_carer),
            (27, ContactWith.pupil),
        ):
            await log_contact(session, change, placement=placement,
                              contact_date=dt.date(2026, 11, day), with_whom=with_whom,
                              method=ContactMethod.phone, summary="Spoke.")  # fmt: skip
    async with db.sessions() as session:
        dsl = await session.get(type(world.dsl), world.dsl.id)
        officer = await session.get(type(world.la_officer), world.la_officer.id)
        assert dsl is not None and officer is not None
        digest = await build_digest(session, dsl, now=clock.now(), calendar=SchoolCalendar())
        la_digest = await build_digest(session, officer, now=clock.now(), calendar=SchoolCalendar())

    sections = {s["title"]: s["lines"] for s in digest.sections_payload}
    assert sections["Contacts over the last 7 days"] == [
        f"Jamie Testpupil ({jamie.reference}): provider 1, parents or carers 2, pupil 1"
    ]
    la_sections = {s["title"]: s["lines"] for s in la_digest.sections_payload}
    assert la_sections["Contacts over the last 7 days"] == [
        f"{jamie.reference} (Elm Park School): provider 1, parents or carers 2, pupil 1"
    ]
