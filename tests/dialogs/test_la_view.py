"""`providers`: the LA's view across its schools, and the alert that an unregistered provider
may need to register as an independent school (issue 16, item 9)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from storage.clock import LONDON
from storage.models import OutboxMessage, Placement, PlacementStatus
from storage.rules.nudges import NudgeTimes
from storage.services.digest import build_digest
from storage.services.reminder_sweeps import queue_day_reminders
from storage.services.terms import calendar_for
from storage.wording import NoticeKind
from tests.support.chat import JsonChat
from tests.support.world import providers_across_schools


async def test_an_la_officer_sees_every_provider_across_the_la_schools(db, clock) -> None:
    across = await providers_across_schools(db, clock)
    world = across.world
    chat = await JsonChat.as_email(db, clock, world.la_officer.email)
    done = (await chat.say("providers"))[-1]
    assert done["type"] == "done"
    text = done["text"]
    # Every active placement of the LA's schools, by reference and school; none elsewhere.
    for placement in across.at_wheels:
        school = "Elm Park School" if placement.commissioner_id == world.school.id else "Birch"
        assert placement.reference in text and school in text
    assert across.at_pathways.reference in text
    assert across.elsewhere.reference not in text and "Far Hill" not in text
    assert "7 active placement(s) at 2 provider(s)" in text
    assert "6 active placement(s) from 2 school(s)" in text
    # No pupil is named.
    assert "Acrosspupil" not in text and "Jamie" not in text
    # Grouped by why the pupil is in AP (the test world's placements: "other").
    assert "Other (6): " in text
    # QA visit coverage: Pathways visited this week by one school, Wheels by none.
    assert (
        "QA visits: 1 in the last week by 1 commissioner(s); 1 this half-term by 1 commissioner(s)"
        in text
    )
    assert "NOT VISITED by any school this half-term" in text
    assert "Not visited by any school this half-term: Wheels" in text
    # Wheels looks like it needs to register.
    assert "five or more pupils in full-time education there" in text
    assert "a pupil who is looked after or has an EHC plan" in text
    assert "Children's Wellbeing and Schools Act 2026" in text
    wheels = next(p for p in done["record"]["providers"] if p["name"].startswith("Wheels"))
    assert wheels["registration"] == ["five_or_more", "looked_after_or_ehcp"]
    assert wheels["visits_half_term"] == 0


async def test_no_school_nor_provider_can_see_across_schools(db, clock) -> None:
    across = await providers_across_schools(db, clock)
    world = across.world
    for person in (world.teacher, world.dsl, world.other_dsl, world.unregistered_staff):
        out = await (await JsonChat.as_email(db, clock, person.email)).say("providers")
        assert out[0]["type"] == "error", person.email
        assert across.at_wheels[0].reference not in out[0]["text"]


async def test_the_registration_alert_reaches_the_la_officers_once_per_provider_and_trigger(
    db, clock
) -> None:
    across = await providers_across_schools(db, clock)
    world = across.world
    times = NudgeTimes()
    monday = dt.datetime(2026, 11, 30, 8, 30, tzinfo=LONDON)
    for now in (monday, monday + dt.timedelta(days=1), monday + dt.timedelta(days=2)):
        await queue_day_reminders(db.sessions, now, times, instance="test")
    async with db.sessions() as session:
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.registration_needed)
            )
        )
    assert sorted(a.key for a in alerts) == sorted(
        f"registration:{world.unregistered.id}:{trigger}:{world.la_officer.id}"
        for trigger in ("five_or_more", "looked_after_or_ehcp")
    )
    assert {a.recipient_id for a in alerts} == {world.la_officer.id}
    for alert in alerts:
        assert "Wheels" in alert.text and "Acrosspupil" not in alert.text
        assert "Children's Wellbeing and Schools Act 2026" in alert.text


async def test_nothing_for_ended_placements(db, clock) -> None:
    across = await providers_across_schools(db, clock)
    # The looked-after pupil's placement ends: four full-time pupils are left there.
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(Placement)
            .where(Placement.id == across.looked_after.id)
            .values(
                status=PlacementStatus.ended,
                ended_on=dt.date(2026, 11, 27),
                closed_at=clock.now(),
            )
        )
    await queue_day_reminders(
        db.sessions, dt.datetime(2026, 11, 30, 8, 30, tzinfo=LONDON), NudgeTimes(), instance="t"
    )
    async with db.sessions() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind)))
    assert NoticeKind.registration_needed not in kinds


async def test_the_la_digest_lists_the_providers_that_may_need_to_register(db, clock) -> None:
    across = await providers_across_schools(db, clock)
    world = across.world
    async with db.sessions() as session:
        officer = await session.get(type(world.la_officer), world.la_officer.id)
        dsl = await session.get(type(world.dsl), world.dsl.id)
        assert officer is not None and dsl is not None
        calendar = await calendar_for(session, world.la.id, today=dt.date(2026, 11, 27))
        la_digest = await build_digest(session, officer, now=clock.now(), calendar=calendar)
        school_digest = await build_digest(session, dsl, now=clock.now(), calendar=calendar)
    section = next(s for s in la_digest.sections if "register as a school" in s.title)
    assert len(section.lines) == 1 and section.lines[0].startswith("Wheels")
    assert "may need to register as an independent school" in section.lines[0]
    assert not any("register as a school" in s.title for s in school_digest.sections)
