"""`where AP-XXXX`: where the pupil is each weekday, asked at `start`, and where the pupil is
now by the timetable and the clock (today's site and address, a school day or not, an absence
reported today, whom to ring, the week)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from storage.clock import LONDON
from storage.invariants import check_all
from storage.models import DayPlace, PlacementDay, Site
from storage.rules.whereabouts import DayWhere
from storage.services.audit import Change
from storage.services.whereabouts import WhereaboutsError, set_week
from tests.support.answers import full_time_answers, report_n
from tests.support.chat import JsonChat
from tests.support.factories import build_world, place

WEDNESDAY = dt.datetime(2026, 12, 2, 10, 0, tzinfo=LONDON)


async def _start_moving_between_sites(db, clock, world) -> str:
    """Jamie at Pathways Mon-Thu (Main site Mon-Tue, Farm site Wed-Thu), at school Friday."""
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(
        {
            "site": "Different sites on different days",
            "provider_days": "mon, tue, wed, thu",
            "provider_hours": "22",
            "school_hours": "10.5",
            "site_mon": "Main site",
            "site_tue": "",  # no default: refused below
            "site_wed": "2",
            "site_thu": "2",
            "school_days": "fri",
        }
    )
    out = await chat.say("start")
    for _ in range(100):
        last = out[-1]
        if last["type"] != "prompt":
            break
        field = last["field"]
        if field == "site_tue" and answers[field] == "":
            out = await chat.say("")
            assert out[0]["type"] == "error"
            answers[field] = "1"
            continue
        if field == "confirm":
            assert (
                "Where, each weekday: at Pathways AP Academy unless said: Mon-Tue Main site; "
                "Wed-Thu Farm site; Fri home school" in last["text"]
            )
        out = await chat.say(answers[field])
    assert out[-1]["type"] == "done", out[-1]
    return out[-1]["record"]["reference"]


async def test_start_asks_where_each_day_and_where_says_todays_site(db, clock) -> None:
    world = await build_world(db, clock)
    reference = await _start_moving_between_sites(db, clock, world)
    async with db.sessions() as session:
        days = {
            row.weekday: (row.place, row.site_id)
            for row in await session.scalars(select(PlacementDay))
        }
        sites = {site.name: site.id for site in await session.scalars(select(Site))}
    assert days == {
        "mon": (DayPlace.provider, sites["Main site"]),
        "tue": (DayPlace.provider, sites["Main site"]),
        "wed": (DayPlace.provider, sites["Farm site"]),
        "thu": (DayPlace.provider, sites["Farm site"]),
        "fri": (DayPlace.school, None),
    }

    clock.set(WEDNESDAY)
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    [done] = await teacher.say(f"where {reference}")
    assert done["type"] == "done"
    text = done["text"]
    assert f"Where is {reference} (Jamie" in text
    assert "Wednesday 02/12/2026 10:00" in text
    assert (
        "Today is a school day. By the timetable the pupil is at: Pathways AP Academy, "
        "Farm site, Test Farm, Testtown, TT1 2BB." in text
    )
    assert "No absence has been reported today." in text
    assert "Pat Office (office@pathways.test)" in text
    assert done["record"]["expected"] == "at" and done["record"]["site_id"] == sites["Farm site"]

    # The provider reports Jamie absent: whoever asks where Jamie is hears it at once.
    await report_n(db, clock, world)
    [done] = await JsonChat(db, clock, world.dsl).say(f"where {reference}")
    assert (
        "⚠ Absence reported today: AM (code N), PM (code N). The pupil may not be there."
        in (done["text"])
    )

    # Friday: at the home school.
    clock.set(WEDNESDAY + dt.timedelta(days=2))
    [done] = await teacher.say(f"where {reference}")
    assert "By the timetable the pupil is at: home school" in done["text"]


async def test_where_on_a_weekend_or_before_the_start_says_so(db, clock) -> None:
    world = await build_world(db, clock)
    reference = await _start_moving_between_sites(db, clock, world)
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    # Friday 27/11: the placement starts on Monday 30/11.
    [done] = await teacher.say(f"where {reference}")
    assert (
        "The placement starts on 30/11/2026: until then the pupil is not at the provider."
        in (done["text"])
    )
    assert (
        "The week: at Pathways AP Academy unless said: Mon-Tue Main site; Wed-Thu Farm "
        "site; Fri home school." in done["text"]
    )
    # Saturday 05/12: not a school day; Monday's site is said.
    clock.set(dt.datetime(2026, 12, 5, 11, 0, tzinfo=LONDON))
    [done] = await teacher.say(f"where {reference}")
    assert (
        "Today is not a school day (Saturday): the pupil is not expected anywhere."
        in (done["text"])
    )
    assert (
        "Next school day, Monday 07/12/2026: Pathways AP Academy, Main site, 1 Test Road, "
        "Testtown, TT1 1AA." in done["text"]
    )


async def test_where_needs_a_reference_and_is_refused_in_a_shared_channel(db, clock) -> None:
    world = await build_world(db, clock)
    reference = await _start_moving_between_sites(db, clock, world)
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    [refused] = await teacher.say("where")
    assert refused == {"type": "error", "text": "Say which placement: where AP-7K3Q."}
    [refused] = await teacher.say("where AP-NONE")
    assert "I can't find a placement 'AP-NONE' whose whereabouts you can see" in refused["text"]
    assert reference.startswith("AP-")


async def test_a_week_names_only_the_providers_own_sites(db, clock) -> None:
    """The service refuses another provider's site; a row written around it is caught by the
    `days_at_the_providers_sites` invariant."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=dt.date(2026, 11, 30),
        )  # fmt: skip
        workshop = await session.scalar(
            select(Site).where(Site.provider_id == world.unregistered.id)
        )
        assert workshop is not None
        change = Change(person_id=world.teacher.id, channel="test", at=clock.now())
        with pytest.raises(WhereaboutsError, match="is not one of the provider's sites"):
            await set_week(
                session,
                change,
                placement=placement,
                week={"mon": DayWhere(DayPlace.provider, workshop.id)},
            )
        wrong = PlacementDay(
            placement_id=placement.id, weekday="mon", place=DayPlace.provider, site_id=workshop.id
        )
        session.add(wrong)
    async with db.sessions() as session:
        found = await check_all(session, clock.now(), only={"days_at_the_providers_sites"})
    assert [str(v) for v in found] == [
        f"[days_at_the_providers_sites] {placement.reference}: on mon the week names Workshop, "
        "a site of another provider"
    ]
    async with db.sessions() as session, session.begin():
        await session.delete(await session.get(PlacementDay, wrong.id))


async def _change(db, clock, world, reference: str, answers: dict[str, str]) -> None:
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say(f"change {reference}")
    for _ in range(30):
        last = out[-1]
        if last["type"] != "prompt":
            break
        out = await chat.say(answers[last["field"]])
    assert out[-1]["type"] == "done", out[-1]


async def test_a_changed_site_or_timetable_changes_where_the_pupil_is(db, clock) -> None:
    """`change` keeps the recorded week true: a new site on every day at the provider; a day no
    longer at the provider is at school (the placement has school hours)."""
    world = await build_world(db, clock)
    reference = await _start_moving_between_sites(db, clock, world)
    await _change(
        db, clock, world, reference,
        {"what": "site", "site": "1", "reason": "The Main site is closed for works.",
         "confirm": "yes"},
    )  # fmt: skip
    async with db.sessions() as session:
        sites = {site.name: site.id for site in await session.scalars(select(Site))}
        week = {
            r.weekday: (r.place, r.site_id) for r in await session.scalars(select(PlacementDay))
        }
    farm = sites["Farm site"]
    assert week == {
        "mon": (DayPlace.provider, farm),
        "tue": (DayPlace.provider, farm),
        "wed": (DayPlace.provider, farm),
        "thu": (DayPlace.provider, farm),
        "fri": (DayPlace.school, None),
    }
    await _change(
        db, clock, world, reference,
        {"what": "timetable", "provider_days": "mon, tue", "provider_hours": "12",
         "school_hours": "20.5", "reason": "Back at school more after the review.",
         "confirm": "yes"},
    )  # fmt: skip
    async with db.sessions() as session:
        week = {
            r.weekday: (r.place, r.site_id) for r in await session.scalars(select(PlacementDay))
        }
    assert week == {
        "mon": (DayPlace.provider, farm),
        "tue": (DayPlace.provider, farm),
        "wed": (DayPlace.school, None),
        "thu": (DayPlace.school, None),
        "fri": (DayPlace.school, None),
    }
