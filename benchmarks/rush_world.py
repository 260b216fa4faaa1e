"""The synthetic world of the morning-rush benchmark: local authorities, schools and AP
providers with one active placement per absence to be reported.

Made through the same service functions the product uses (so the audit log and the outbox are
as in real life), in several transactions at once. Every name is invented. Per 10 placements:
one provider with two office staff (already linked to Slack, as on any morning after the first),
who share its pupils between them; per 50 placements: a school with a DSL, a deputy DSL and the
teacher who started the placements. Welfare calls are the provider's to make.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import transaction
from storage.models import OrgKind, ReasonForAp, RegistrationStatus, Role, WelfareCallParty
from storage.services import directory
from storage.services.audit import Change
from storage.services.placements import PlacementPlan, create_placement

PLACEMENTS_PER_PROVIDER = 10
PLACEMENTS_PER_SCHOOL = 50
SCHOOLS_PER_LA = 50
STAFF_PER_PROVIDER = 2
LEADS_PER_SCHOOL = 2  # the DSL and a deputy: each is alerted
BATCH = 50  # placements per transaction
AT_ONCE = 4  # transactions at once


@dataclass(frozen=True)
class Report:
    """One absence to report: who reports it (their Slack user id) and for which placement."""

    user: str
    reference: str


@dataclass
class World:
    reports: list[Report] = field(default_factory=list)
    staff: dict[str, str] = field(default_factory=dict)  # Slack user id -> email
    schools: int = 0
    providers: int = 0
    leads_per_report: int = LEADS_PER_SCHOOL
    staff_per_provider: int = STAFF_PER_PROVIDER


@dataclass(frozen=True)
class _Org:
    id: int
    teacher_id: int = 0


async def build_rush_world(
    sessions: async_sessionmaker[AsyncSession], *, placements: int, start: dt.date, at: dt.datetime
) -> World:
    """`placements` active placements that started on `start`, and everyone around them."""
    change = Change(person_id=None, channel="benchmark", at=at)
    world = World()
    world.schools = max(1, placements // PLACEMENTS_PER_SCHOOL)
    world.providers = max(1, placements // PLACEMENTS_PER_PROVIDER)
    schools: list[_Org] = []
    providers: list[_Org] = []
    provider_staff: list[list[str]] = []
    async with transaction(sessions) as s:
        las = []
        for n in range(max(1, world.schools // SCHOOLS_PER_LA)):
            la = await directory.add_organisation(
                s, change, kind=OrgKind.local_authority, name=f"Rush Borough {n + 1}"
            )
            las.append(la.id)
        for n in range(world.schools):
            school = await directory.add_organisation(
                s,
                change,
                kind=OrgKind.school,
                name=f"Rush School {n + 1}",
                urn=f"{700000 + n}",
                la_id=las[n % len(las)],
            )
            for lead in range(LEADS_PER_SCHOOL):
                await directory.add_person(
                    s,
                    change,
                    name=f"Lead {lead + 1} of school {n + 1}",
                    email=f"dsl{lead + 1}@school{n + 1}.rush.example",
                    role=Role.dsl,
                    organisation_id=school.id,
                )
            teacher = await directory.add_person(
                s,
                change,
                name=f"Teacher at school {n + 1}",
                email=f"teacher@school{n + 1}.rush.example",
                role=Role.teacher,
                organisation_id=school.id,
            )
            schools.append(_Org(school.id, teacher.id))
        for n in range(world.providers):
            provider = await directory.add_organisation(
                s,
                change,
                kind=OrgKind.provider,
                name=f"Rush AP {n + 1}",
                la_id=las[n % len(las)],
                registration_status=RegistrationStatus.ap_academy,
            )
            users = []
            for m in range(STAFF_PER_PROVIDER):
                user, email = f"UR{n + 1:05d}S{m + 1}", f"office{m + 1}@ap{n + 1}.rush.example"
                await directory.add_person(
                    s,
                    change,
                    name=f"Office {m + 1} at AP {n + 1}",
                    email=email,
                    role=Role.provider,
                    organisation_id=provider.id,
                    slack_user_id=user,
                )
                world.staff[user] = email
                users.append(user)
            providers.append(_Org(provider.id))
            provider_staff.append(users)

    async def place(numbers: range) -> list[Report]:
        made = []
        async with transaction(sessions) as s:
            for n in numbers:
                school = schools[n % len(schools)]
                which = n % len(providers)
                pupil = await directory.add_pupil(
                    s,
                    change,
                    home_org_id=school.id,
                    first_name=f"Pupil{n + 1}",
                    last_name="Rushton",
                    year_group=7 + n % 5,
                )
                plan = PlacementPlan(
                    pupil_id=pupil.id,
                    commissioner_id=school.id,
                    provider_id=providers[which].id,
                    reason=ReasonForAp.other,
                    reason_detail="Re-engagement programme",
                    start_date=start,
                    planned_end_date=start + dt.timedelta(weeks=12),
                    provider_days=["mon", "tue", "wed", "thu", "fri"],
                    provider_hours=Decimal("25"),
                    school_hours=Decimal("7.5"),
                    attendance_code="B",
                    absence_deadline=dt.time(9, 30),
                    welfare_call_party=WelfareCallParty.provider,
                    welfare_call_arrangements="The office rings home by 10:00",
                )
                placement = await create_placement(
                    s, Change(school.teacher_id, "benchmark", at), plan
                )
                staff = provider_staff[which]
                made.append(Report(staff[(n // len(providers)) % len(staff)], placement.reference))
        return made

    batches = [range(i, min(i + BATCH, placements)) for i in range(0, placements, BATCH)]
    limit = asyncio.Semaphore(AT_ONCE)

    async def one(numbers: range) -> list[Report]:
        async with limit:
            return await place(numbers)

    for made in await asyncio.gather(*(one(b) for b in batches)):
        world.reports += made
    return world
