"""Demo data: a fictional local authority with two schools, three AP providers, a person in every
role, pupils and placements in different states, so a first try of the bot has something to show.

Everything is made through the same service functions the product uses, so the audit log is real.
Dates count from today (in London), so the demo always looks current. Every name, address, URN,
UKPRN and email here is invented.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock, london_today
from storage.demo.activity import add_activity
from storage.imports import ImportReport, import_establishments, import_pupils, import_staff
from storage.models import (
    ChecklistStatus,
    DayPlace,
    Organisation,
    OrgKind,
    Person,
    Placement,
    Pupil,
    ReasonForAp,
    RegistrationStatus,
    Role,
    SiteKind,
    WelfareCallParty,
)
from storage.rules.checklist import ALL_ITEMS
from storage.rules.whereabouts import DayWhere
from storage.services import directory
from storage.services.audit import Change
from storage.services.part_time import PartTimePlan
from storage.services.placements import (
    ChecklistAnswer,
    PlacementPlan,
    create_placement,
    end_placement,
)
from storage.services.whereabouts import set_week

DEMO_LA_NAME = "Northbrook Borough Council"
DEMO_TEACHER_EMAIL = "teacher@oakfield.example"
DEMO_DSL_EMAIL = "dsl@oakfield.example"
DEMO_ADMIN_EMAIL = "admin@apsafeguard.example"
DEMO_CHANNEL = "demo"
FULL_TIME_WEEK = Decimal("32.5")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]

EVIDENCE = {
    "letter_of_assurance": "Letter of Assurance signed by the headteacher, on file.",
    "our_policy_shared": "Emailed our safeguarding and behaviour policies.",
    "ap_policy_received": "Provider's safeguarding policy received and read by the DSL.",
    "absence_sharing_agreed": "Provider emails the attendance office by 09:30 each day.",
    "parents_informed": "Met parent at school before the placement started.",
}


@dataclass(frozen=True)
class DemoSummary:
    """What `seed_demo` did: `created` is False when the demo was already there."""

    created: bool
    local_authorities: int = 0
    schools: int = 0
    providers: int = 0
    sites: int = 0
    people: int = 0
    pupils: int = 0
    placements: int = 0


@dataclass
class _Demo:
    """The records made so far, for the later steps to refer to."""

    orgs: dict[str, Organisation]
    sites: dict[str, int]
    people: dict[str, Person]
    pupils: dict[str, Pupil]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _checklist(not_done: dict[str, dt.date]) -> dict[str, ChecklistAnswer]:
    """Every check answered done, except those given (not done, due on the date given)."""
    answers = {}
    for item in ALL_ITEMS:
        if item.automatic:
            continue
        if item.key in not_done:
            answers[item.key] = ChecklistAnswer(
                status=ChecklistStatus.not_done, due_date=not_done[item.key]
            )
        else:
            answers[item.key] = ChecklistAnswer(
                status=ChecklistStatus.done, evidence=EVIDENCE.get(item.key)
            )
    return answers


async def seed_demo(session: AsyncSession, *, clock: Clock) -> DemoSummary:
    """Load the demo data, unless its local authority is already there (then change nothing)."""
    existing = await session.scalar(
        select(Organisation.id).where(
            Organisation.name == DEMO_LA_NAME, Organisation.kind == OrgKind.local_authority
        )
    )
    if existing is not None:
        return DemoSummary(created=False)

    now = clock.now()
    admin = await directory.add_person(
        session,
        Change(person_id=None, channel=DEMO_CHANNEL, at=now),
        name="Alex Morgan",
        email=DEMO_ADMIN_EMAIL,
        role=Role.admin,
        organisation_id=None,
    )
    change = Change(person_id=admin.id, channel=DEMO_CHANNEL, at=now)
    demo = _Demo(orgs={}, sites={}, people={"admin": admin}, pupils={})
    await _add_organisations(session, change, demo)
    await _add_people(session, change, demo)
    await _add_pupils(session, change, demo, london_today(clock))
    placements = await _add_placements(session, demo, now, london_today(clock))
    await _add_weeks(session, change, demo, placements)
    people = demo.people
    ended = placements[4]
    ended_on = ended.start_date + dt.timedelta(weeks=8, days=-3)  # the Friday before the return

    async def end_it(at: dt.datetime) -> None:
        await end_placement(
            session,
            Change(person_id=people["teacher"].id, channel=DEMO_CHANNEL, at=at),
            ended,
            ended_on=ended_on,
            outcome="returned_to_school",
            return_date=ended_on + dt.timedelta(days=3),
            reintegration_notes="Back at Oakfield full time, with weekly mentor sessions.",
        )

    await add_activity(
        session,
        placements=placements[:4],
        ending=(ended_on, end_it),
        visitors=[
            people["teacher"],
            people["teacher"],
            people["riverside_teacher"],
            people["la_officer"],
        ],
        provider_staff={
            demo.orgs[key].id: people[key] for key in ("horizon", "bridgeway", "secondchance")
        },
        now=now,
        today=london_today(clock),
    )

    kinds = [org.kind for org in demo.orgs.values()]
    return DemoSummary(
        created=True,
        local_authorities=kinds.count(OrgKind.local_authority),
        schools=kinds.count(OrgKind.school),
        providers=kinds.count(OrgKind.provider),
        sites=len(demo.sites),
        people=len(demo.people),
        pupils=len(demo.pupils),
        placements=len(placements),
    )


def demo_file(name: str) -> str:
    """One of the demo's CSV files (storage/demo/data/), as text."""
    return (resources.files("storage.demo") / "data" / name).read_text(encoding="utf-8")


def _imported(report: ImportReport, name: str) -> None:
    """The demo's own files always load: a refused line is a bug in them."""
    if report.refused:
        raise RuntimeError(f"The demo file {name} did not load: {report.refused}")


async def _add_organisations(session: AsyncSession, change: Change, demo: _Demo) -> None:
    """The LA by hand (GIAS does not list LAs), its schools and registered AP from a GIAS
    export (data/establishments.csv) as an LA would load them, then the unregistered provider
    and the providers' sites by hand (neither is in GIAS)."""
    la = await directory.add_organisation(
        session,
        change,
        kind=OrgKind.local_authority,
        name=DEMO_LA_NAME,
        address="Civic Centre, Market Square, Northbrook NB1 1AA",
    )
    demo.orgs["la"] = la
    _imported(
        await import_establishments(session, change, text=demo_file("establishments.csv"), la=la),
        "establishments.csv",
    )
    for key, urn in (
        ("oakfield", "999001"),
        ("riverside", "999002"),
        ("horizon", "999101"),
        ("bridgeway", "999102"),
    ):
        found = await session.scalar(select(Organisation).where(Organisation.urn == urn))
        assert found is not None, urn
        demo.orgs[key] = found
    demo.orgs["secondchance"] = await directory.add_organisation(
        session,
        change,
        kind=OrgKind.provider,
        name="Second Chance Motor Project",
        ukprn="19999103",
        la_id=la.id,
        registration_status=RegistrationStatus.unregistered,
    )
    main, satellite = SiteKind.main, SiteKind.satellite
    sites = (
        ("horizon_main", "horizon", "Main site", "Unit 3, Canal Street, Northbrook", "NB4 2EX", main, "01632 960101"),
        ("horizon_farm", "horizon", "Hollins Farm site", "Hollins Farm, Moor Road, Northbrook", "NB7 9FR", satellite, "01632 960102"),
        ("bridgeway", "bridgeway", "Bridgeway Centre", "40 Station Road, Northbrook", "NB1 6HD", main, "01632 960201"),
        ("secondchance", "secondchance", "Workshop", "Arch 7, Viaduct Yard, Northbrook", "NB5 3WY", main, None),
    )  # fmt: skip
    for key, provider, name, address, postcode, site_kind, phone in sites:
        site = await directory.add_site(
            session,
            change,
            provider_id=demo.orgs[provider].id,
            name=name,
            address=address,
            postcode=postcode,
            kind=site_kind,
            phone=phone,
        )
        demo.sites[key] = site.id


# Each organisation's staff file (data/staff_<key>.csv), as its MIS would export it, and the
# demo's name for each person in it.
STAFF = {
    "oakfield": {
        DEMO_TEACHER_EMAIL: "teacher",
        DEMO_DSL_EMAIL: "dsl",
        "deputy.dsl@oakfield.example": "deputy_dsl",
    },
    "riverside": {
        "teacher@riverside.example": "riverside_teacher",
        "dsl@riverside.example": "riverside_dsl",
    },
    "horizon": {"office@horizon.example": "horizon", "manager@horizon.example": "horizon_manager"},
    "bridgeway": {"office@bridgeway.example": "bridgeway"},
    "secondchance": {"office@secondchance.example": "secondchance"},
    "la": {"officer@northbrook.example": "la_officer"},
}


async def _add_people(session: AsyncSession, change: Change, demo: _Demo) -> None:
    """Each organisation's staff through the staff import."""
    for org, people in STAFF.items():
        name = f"staff_{org}.csv"
        _imported(
            await import_staff(session, change, organisation=demo.orgs[org], text=demo_file(name)),
            name,
        )
        for email, key in people.items():
            person = await directory.find_person_by_email(session, email)
            assert person is not None, email
            demo.people[key] = person


# The school year the pupil files' dates of birth are written for (September 2026 on): moved
# on by whole years so that each pupil's age still fits their year group.
PUPILS_WRITTEN_FOR = 2026
_DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")


def _moved_on(text: str, years: int) -> str:
    """The file with every dd/mm/yyyy date `years` later."""
    return _DATE.sub(lambda m: f"{m[1]}/{m[2]}/{int(m[3]) + years}", text)


async def _add_pupils(session: AsyncSession, change: Change, demo: _Demo, today: dt.date) -> None:
    """Each school's (and the LA's) pupils through the pupil import, from its MIS export."""
    school_year = today.year if today.month >= 9 else today.year - 1
    for org in ("oakfield", "riverside", "la"):
        name = f"pupils_{org}.csv"
        text = _moved_on(demo_file(name), school_year - PUPILS_WRITTEN_FOR)
        home = demo.orgs[org]
        _imported(await import_pupils(session, change, organisation=home, text=text), name)
        for pupil in await session.scalars(select(Pupil).where(Pupil.home_org_id == home.id)):
            demo.pupils[pupil.first_name.lower()] = pupil


async def _add_weeks(
    session: AsyncSession, change: Change, demo: _Demo, placements: list[Placement]
) -> None:
    """Where each demo pupil is on each weekday (Tyler moves between Horizon's two sites)."""
    school, none = DayWhere(DayPlace.school), DayWhere(DayPlace.none)

    def at(site: str) -> DayWhere:
        return DayWhere(DayPlace.provider, demo.sites[site])

    main, farm = at("horizon_main"), at("horizon_farm")
    weeks = (
        {"mon": main, "tue": main, "wed": farm, "thu": farm, "fri": school},
        {"mon": school, "tue": at("secondchance"), "wed": school, "thu": at("secondchance"), "fri": none},
        dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), at("bridgeway")),
        dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), at("bridgeway")),
        {"mon": farm, "tue": farm, "wed": farm, "thu": farm, "fri": school},
    )  # fmt: skip
    for placement, week in zip(placements, weeks, strict=True):
        await set_week(session, change, placement=placement, week=week)


async def _add_placements(
    session: AsyncSession, demo: _Demo, now: dt.datetime, today: dt.date
) -> list[Placement]:
    """Five placements: active full-time, active part-time at the unregistered provider,
    dual-registered, LA-commissioned, and one that has ended."""
    monday = _monday(today)
    orgs, people = demo.orgs, demo.people

    async def place(
        by: str,
        pupil: str,
        *,
        commissioner: str,
        provider: str,
        site: str,
        start: dt.date,
        weeks: int,
        not_done: dict[str, dt.date],
        **details: Any,
    ) -> Placement:
        plan = PlacementPlan(
            pupil_id=demo.pupils[pupil].id,
            commissioner_id=orgs[commissioner].id,
            provider_id=orgs[provider].id,
            site_id=demo.sites[site],
            start_date=start,
            planned_end_date=start + dt.timedelta(weeks=weeks),
            checklist=_checklist(not_done),
            **{"provider_days": WEEKDAYS, "absence_deadline": dt.time(9, 30), **details},
        )
        change = Change(person_id=people[by].id, channel=DEMO_CHANNEL, at=now)
        return await create_placement(session, change, plan)

    full_time = await place(
        "teacher",
        "tyler",
        commissioner="oakfield",
        provider="horizon",
        site="horizon_main",
        start=monday - dt.timedelta(weeks=6),
        weeks=14,
        reason=ReasonForAp.off_site_direction,
        not_done={
            "checks_sighted": today + dt.timedelta(days=7),
            "travel_provider_qa": today - dt.timedelta(days=3),
        },
        provider_days=["mon", "tue", "wed", "thu"],
        provider_hours=Decimal("26"),
        school_hours=Decimal("6.5"),
        attendance_code="B",
        welfare_call_party=WelfareCallParty.school,
        welfare_call_person_id=people["dsl"].id,
        welfare_call_arrangements="Oakfield attendance office rings home by 10:00.",
        objectives="Re-engage with maths and English; vocational taster in construction.",
        return_plan="Back to Oakfield full time after the Easter holiday, with a mentor.",
    )
    part_time_start = monday - dt.timedelta(weeks=3)
    part_time = await place(
        "teacher",
        "maisie",
        commissioner="oakfield",
        provider="secondchance",
        site="secondchance",
        start=part_time_start,
        weeks=10,
        reason=ReasonForAp.ehc_plan,
        # The provider has not yet confirmed its staff checks in writing.
        not_done={"letter_of_assurance": part_time_start},
        review_date=today + dt.timedelta(days=14),
        provider_days=["tue", "thu"],
        provider_hours=Decimal("10"),
        school_hours=Decimal("13"),
        attendance_code="B",
        absence_deadline=dt.time(10, 0),
        welfare_call_party=WelfareCallParty.school,
        welfare_call_person_id=people["teacher"].id,
        welfare_call_arrangements="Form tutor rings home if the project reports an absence.",
        objectives="Motor-vehicle skills; build confidence before the EHCP annual review.",
        return_plan="Review the timetable with parent and SENCo at the review date.",
        # At school on Mondays and Wednesdays: Fridays are the part-time (C2) sessions, agreed
        # with her mum until the review.
        part_time=PartTimePlan(
            parent_agreed_on=part_time_start - dt.timedelta(days=3),
            circumstances="Anxiety after a long absence; building back up to full time.",
            ends_on=today + dt.timedelta(days=14),
            covered_days=["mon", "tue", "wed", "thu"],
        ),
    )
    dual = await place(
        "riverside_teacher",
        "aaliyah",
        commissioner="riverside",
        provider="bridgeway",
        site="bridgeway",
        start=monday - dt.timedelta(weeks=4),
        weeks=12,
        reason=ReasonForAp.medical,
        not_done={"length_and_return_agreed": today + dt.timedelta(days=5)},
        provider_hours=FULL_TIME_WEEK,
        attendance_code="D",
        welfare_call_party=WelfareCallParty.provider,
        welfare_call_arrangements="Bridgeway rings home by 10:00 and tells Riverside's DSL.",
        objectives="Stabilise attendance; small-group teaching.",
    )
    commissioned = await place(
        "la_officer",
        "kai",
        commissioner="la",
        provider="bridgeway",
        site="bridgeway",
        start=monday - dt.timedelta(weeks=8),
        weeks=26,
        reason=ReasonForAp.permanent_exclusion,
        # Excluded from the Monday of the week before: the sixth school day is this start.
        reason_first_day=monday - dt.timedelta(weeks=9),
        not_done={"plans_shared": today + dt.timedelta(days=2)},
        provider_hours=FULL_TIME_WEEK,
        attendance_code="K",
        welfare_call_party=WelfareCallParty.provider,
        welfare_call_arrangements="Bridgeway rings the carer, then the social worker.",
        objectives="Full-time education after permanent exclusion; find a new school place.",
    )
    ended_start = monday - dt.timedelta(weeks=12)
    ended = await place(
        "teacher",
        "callum",
        commissioner="oakfield",
        provider="horizon",
        site="horizon_farm",
        start=ended_start,
        weeks=8,
        reason=ReasonForAp.suspension,
        reason_first_day=ended_start - dt.timedelta(weeks=1),
        suspension_days=10,
        not_done={},
        provider_hours=Decimal("25"),
        school_hours=Decimal("7.5"),
        attendance_code="B",
        welfare_call_party=WelfareCallParty.provider,
        welfare_call_arrangements="Horizon rings home by 10:00.",
    )
    return [full_time, part_time, dual, commissioned, ended]
