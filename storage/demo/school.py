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
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock, london_today
from storage.demo.activity import add_activity
from storage.models import (
    ChecklistStatus,
    Organisation,
    OrgKind,
    Person,
    Placement,
    ReasonForAp,
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


# key, home organisation, first name, last name, year group, birthday (month, day), UPN, flags
_PupilRow = tuple[str, str, str, str, int, tuple[int, int], str | None, set[str]]


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


async def _add_organisations(session: AsyncSession, change: Change, demo: _Demo) -> None:
    la = await directory.add_organisation(
        session,
        change,
        kind=OrgKind.local_authority,
        name=DEMO_LA_NAME,
        address="Civic Centre, Market Square, Northbrook NB1 1AA",
    )
    demo.orgs["la"] = la
    school, ap = OrgKind.school, OrgKind.provider
    organisations = (
        # key, kind, name, URN, UKPRN, registration status, address
        ("oakfield", school, "Oakfield Academy", "999001", None, None, "Oakfield Lane, Northbrook NB2 4QT"),
        ("riverside", school, "Riverside High School", "999002", None, None, "12 Riverside Walk, Northbrook NB3 7LP"),
        ("horizon", ap, "Horizon Learning Centre", "999101", None, RegistrationStatus.ap_academy, None),
        ("bridgeway", ap, "Bridgeway Pupil Referral Unit", "999102", None, RegistrationStatus.pru, None),
        ("secondchance", ap, "Second Chance Motor Project", None, "19999103", RegistrationStatus.unregistered, None),
    )  # fmt: skip
    for key, kind, name, urn, ukprn, status, address in organisations:
        demo.orgs[key] = await directory.add_organisation(
            session,
            change,
            kind=kind,
            name=name,
            urn=urn,
            ukprn=ukprn,
            la_id=la.id,
            registration_status=status,
            address=address,
            full_time_hours=FULL_TIME_WEEK if kind == school else None,
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
    pupils: tuple[_PupilRow, ...] = (
        ("tyler", "oakfield", "Tyler", "Ashdown", 10, (3, 14), "P999000000101", {"fsm_eligible"}),
        ("maisie", "oakfield", "Maisie", "Holt", 9, (11, 2), "D999000000102", {"ehcp"}),
        ("callum", "oakfield", "Callum", "Price", 11, (6, 21), None, set()),
        ("leah", "oakfield", "Leah", "Marsh", 8, (9, 30), None, {"cin_plan"}),
        ("aaliyah", "riverside", "Aaliyah", "Moss", 8, (1, 9), "B999000000201", {"cp_plan"}),
        ("kai", "la", "Kai", "Donovan", 10, (7, 17), "N999000000301", {"looked_after"}),
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
