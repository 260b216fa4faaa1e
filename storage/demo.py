"""Demo data: a fictional local authority with two schools, three AP providers, a person in every
role, pupils and placements in different states, so a first try of the bot has something to show.

Everything is made through the same service functions the product uses, so the audit log is real.
Dates count from today (in London), so the demo always looks current. Every name, address, URN,
UKPRN and email here is invented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock, london_today
from storage.models import (
    ChecklistStatus,
    Organisation,
    OrgKind,
    Person,
    Placement,
    Pupil,
    RegistrationStatus,
    Role,
    WelfareCallParty,
)
from storage.rules.checklist import ALL_ITEMS
from storage.services import directory
from storage.services.audit import Change
from storage.services.placements import (
    ChecklistAnswer,
    PlacementPlan,
    create_placement,
    end_placement,
)

DEMO_LA_NAME = "Northbrook Borough Council"
DEMO_TEACHER_EMAIL = "teacher@oakfield.example"
DEMO_DSL_EMAIL = "dsl@oakfield.example"
DEMO_ADMIN_EMAIL = "admin@apsafeguard.example"
DEMO_CHANNEL = "demo"
FULL_TIME_WEEK = Decimal("32.5")

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


def _birthday(today: dt.date, year_group: int, month: int, day: int) -> dt.date:
    """A date of birth that fits the year group in the current school year (from September)."""
    school_year = today.year if today.month >= 9 else today.year - 1
    year = school_year - year_group - (5 if month >= 9 else 4)
    return dt.date(year, month, day)


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


async def _add_organisations(session: AsyncSession, change: Change, demo: _Demo) -> None:
    add = directory.add_organisation
    la = await add(
        session,
        change,
        kind=OrgKind.local_authority,
        name=DEMO_LA_NAME,
        address="Civic Centre, Market Square, Northbrook NB1 1AA",
    )
    demo.orgs["la"] = la
    demo.orgs["oakfield"] = await add(
        session,
        change,
        kind=OrgKind.school,
        name="Oakfield Academy",
        urn="999001",
        la_id=la.id,
        address="Oakfield Lane, Northbrook NB2 4QT",
        full_time_hours=FULL_TIME_WEEK,
    )
    demo.orgs["riverside"] = await add(
        session,
        change,
        kind=OrgKind.school,
        name="Riverside High School",
        urn="999002",
        la_id=la.id,
        address="12 Riverside Walk, Northbrook NB3 7LP",
        full_time_hours=FULL_TIME_WEEK,
    )
    providers = (
        ("horizon", "Horizon Learning Centre", RegistrationStatus.ap_academy, "999101"),
        ("bridgeway", "Bridgeway Pupil Referral Unit", RegistrationStatus.pru, "999102"),
        ("secondchance", "Second Chance Motor Project", RegistrationStatus.unregistered, None),
    )
    for key, name, status, urn in providers:
        demo.orgs[key] = await add(
            session,
            change,
            kind=OrgKind.provider,
            name=name,
            urn=urn,
            ukprn="19999103" if key == "secondchance" else None,
            la_id=la.id,
            registration_status=status,
        )
    sites = (
        ("horizon_main", "horizon", "Main site", "Unit 3, Canal Street, Northbrook", "NB4 2EX"),
        ("horizon_farm", "horizon", "Hollins Farm site", "Hollins Farm, Moor Road, Northbrook", "NB7 9FR"),
        ("bridgeway", "bridgeway", "Bridgeway Centre", "40 Station Road, Northbrook", "NB1 6HD"),
        ("secondchance", "secondchance", "Workshop", "Arch 7, Viaduct Yard, Northbrook", "NB5 3WY"),
    )  # fmt: skip
    for key, provider, name, address, postcode in sites:
        site = await directory.add_site(
            session,
            change,
            provider_id=demo.orgs[provider].id,
            name=name,
            address=address,
            postcode=postcode,
        )
        demo.sites[key] = site.id


async def _add_people(session: AsyncSession, change: Change, demo: _Demo) -> None:
    people = (
        ("teacher", "Sam Okafor", DEMO_TEACHER_EMAIL, Role.teacher, "oakfield"),
        ("dsl", "Helen Ward", DEMO_DSL_EMAIL, Role.dsl, "oakfield"),
        ("deputy_dsl", "Tom Reilly", "deputy.dsl@oakfield.example", Role.dsl, "oakfield"),
        ("riverside_teacher", "Ravi Patel", "teacher@riverside.example", Role.teacher, "riverside"),
        ("riverside_dsl", "Claire Dawson", "dsl@riverside.example", Role.dsl, "riverside"),
        ("horizon", "Jess Carter", "office@horizon.example", Role.provider, "horizon"),
        ("horizon_manager", "Mark Ellis", "manager@horizon.example", Role.provider, "horizon"),
        ("bridgeway", "Nadia Brooks", "office@bridgeway.example", Role.provider, "bridgeway"),
        ("secondchance", "Dave Kerr", "office@secondchance.example", Role.provider, "secondchance"),
        ("la_officer", "Grace Holloway", "officer@northbrook.example", Role.la_officer, "la"),
    )  # fmt: skip
    for key, name, email, role, org in people:
        demo.people[key] = await directory.add_person(
            session, change, name=name, email=email, role=role, organisation_id=demo.orgs[org].id
        )


async def _add_pupils(session: AsyncSession, change: Change, demo: _Demo, today: dt.date) -> None:
    pupils = (
        # key, home, first, last, year, birthday (month, day), UPN, flags
        ("tyler", "oakfield", "Tyler", "Ashdown", 10, (3, 14), "Z999000000101", {"fsm_eligible"}),
        ("maisie", "oakfield", "Maisie", "Holt", 9, (11, 2), "Z999000000102", {"ehcp"}),
        ("callum", "oakfield", "Callum", "Price", 11, (6, 21), None, set()),
        ("leah", "oakfield", "Leah", "Marsh", 8, (9, 30), None, {"cin_plan"}),
        ("aaliyah", "riverside", "Aaliyah", "Moss", 8, (1, 9), "Z999000000201", {"cp_plan"}),
        ("kai", "la", "Kai", "Donovan", 10, (7, 17), "Z999000000301", {"looked_after"}),
    )  # fmt: skip
    for key, home, first, last, year, (month, day), upn, flags in pupils:
        demo.pupils[key] = await directory.add_pupil(
            session,
            change,
            home_org_id=demo.orgs[home].id,
            first_name=first,
            last_name=last,
            year_group=year,
            upn=upn,
            date_of_birth=_birthday(today, year, month, day),
            fsm_eligible="fsm_eligible" in flags,
            ehcp="ehcp" in flags,
            cp_plan="cp_plan" in flags,
            cin_plan="cin_plan" in flags,
            looked_after="looked_after" in flags,
        )


async def _add_placements(
    session: AsyncSession, demo: _Demo, now: dt.datetime, today: dt.date
) -> list[Placement]:
    """Five placements: active full-time, active part-time at the unregistered provider,
    dual-registered, LA-commissioned, and one that has ended."""
    monday = _monday(today)
    orgs, sites, people, pupils = demo.orgs, demo.sites, demo.people, demo.pupils
    weekdays = ["mon", "tue", "wed", "thu", "fri"]

    async def place(by: str, plan: PlacementPlan) -> Placement:
        change = Change(person_id=people[by].id, channel=DEMO_CHANNEL, at=now)
        return await create_placement(session, change, plan)

    full_time_start = monday - dt.timedelta(weeks=6)
    full_time = await place(
        "teacher",
        PlacementPlan(
            pupil_id=pupils["tyler"].id,
            commissioner_id=orgs["oakfield"].id,
            provider_id=orgs["horizon"].id,
            site_id=sites["horizon_main"],
            start_date=full_time_start,
            planned_end_date=full_time_start + dt.timedelta(weeks=14),
            provider_days=["mon", "tue", "wed", "thu"],
            provider_hours=Decimal("26"),
            school_hours=Decimal("6.5"),
            attendance_code="B",
            absence_deadline=dt.time(9, 30),
            welfare_call_party=WelfareCallParty.school,
            welfare_call_person_id=people["dsl"].id,
            welfare_call_arrangements="Oakfield attendance office rings home by 10:00.",
            objectives="Re-engage with maths and English; vocational taster in construction.",
            return_plan="Back to Oakfield full time after the Easter holiday, with a mentor.",
            checklist=_checklist(
                {
                    "checks_sighted": today + dt.timedelta(days=7),
                    "travel_provider_qa": today - dt.timedelta(days=3),
                }
            ),
        ),
    )

    part_time_start = monday - dt.timedelta(weeks=3)
    part_time = await place(
        "teacher",
        PlacementPlan(
            pupil_id=pupils["maisie"].id,
            commissioner_id=orgs["oakfield"].id,
            provider_id=orgs["secondchance"].id,
            site_id=sites["secondchance"],
            start_date=part_time_start,
            planned_end_date=part_time_start + dt.timedelta(weeks=10),
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
            # The provider has not yet confirmed its staff checks in writing.
            checklist=_checklist({"letter_of_assurance": part_time_start}),
        ),
    )

    dual_start = monday - dt.timedelta(weeks=4)
    dual = await place(
        "riverside_teacher",
        PlacementPlan(
            pupil_id=pupils["aaliyah"].id,
            commissioner_id=orgs["riverside"].id,
            provider_id=orgs["bridgeway"].id,
            site_id=sites["bridgeway"],
            start_date=dual_start,
            planned_end_date=dual_start + dt.timedelta(weeks=12),
            provider_days=weekdays,
            provider_hours=FULL_TIME_WEEK,
            attendance_code="D",
            absence_deadline=dt.time(9, 30),
            welfare_call_party=WelfareCallParty.provider,
            welfare_call_arrangements="Bridgeway rings home by 10:00 and tells Riverside's DSL.",
            objectives="Stabilise attendance; small-group teaching.",
            checklist=_checklist({"length_and_return_agreed": today + dt.timedelta(days=5)}),
        ),
    )

    la_start = monday - dt.timedelta(weeks=8)
    commissioned = await place(
        "la_officer",
        PlacementPlan(
            pupil_id=pupils["kai"].id,
            commissioner_id=orgs["la"].id,
            provider_id=orgs["bridgeway"].id,
            site_id=sites["bridgeway"],
            start_date=la_start,
            planned_end_date=la_start + dt.timedelta(weeks=26),
            provider_days=weekdays,
            provider_hours=FULL_TIME_WEEK,
            attendance_code="K",
            absence_deadline=dt.time(9, 30),
            welfare_call_party=WelfareCallParty.provider,
            welfare_call_arrangements="Bridgeway rings the carer, then the social worker.",
            objectives="Full-time education after permanent exclusion; find a new school place.",
            checklist=_checklist({"plans_shared": today + dt.timedelta(days=2)}),
        ),
    )

    ended_start = monday - dt.timedelta(weeks=20)
    ended = await place(
        "teacher",
        PlacementPlan(
            pupil_id=pupils["callum"].id,
            commissioner_id=orgs["oakfield"].id,
            provider_id=orgs["horizon"].id,
            site_id=sites["horizon_farm"],
            start_date=ended_start,
            planned_end_date=ended_start + dt.timedelta(weeks=16),
            provider_days=weekdays,
            provider_hours=Decimal("25"),
            school_hours=Decimal("7.5"),
            attendance_code="B",
            absence_deadline=dt.time(9, 30),
            welfare_call_party=WelfareCallParty.provider,
            welfare_call_arrangements="Horizon rings home by 10:00.",
            checklist=_checklist({}),
        ),
    )
    ended_on = ended_start + dt.timedelta(weeks=16, days=-3)
    await end_placement(
        session,
        Change(person_id=people["teacher"].id, channel=DEMO_CHANNEL, at=now),
        ended,
        ended_on=ended_on,
        outcome="Returned to school",
        return_date=ended_on + dt.timedelta(days=3),
        reintegration_notes="Back at Oakfield full time, with weekly mentor sessions.",
    )
    return [full_time, part_time, dual, commissioned, ended]
