"""Reading what the nudge rules need from the database, as plain facts.

Every query is bounded by what can be due: active placements, checklist items not done with a
due date already passed, open welfare calls, attendance of the last few weeks, snoozes not yet
over. Nothing reads the whole history of a table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AttendanceRecord,
    AttendanceStatus,
    ChecklistItem,
    ChecklistStatus,
    Contact,
    Organisation,
    OrgKind,
    Person,
    Placement,
    PlacementStatus,
    Role,
    WelfareCall,
    WelfareCallStatus,
)
from storage.rules import checklist, codes
from storage.rules.calendar import SchoolCalendar, london_date
from storage.rules.nudges import (
    CME_LOOKBACK_DAYS,
    CallFacts,
    CheckFacts,
    Facts,
    NudgeTimes,
    PlacementFacts,
)
from storage.services.nudges import active_snoozes
from storage.services.terms import calendars_for


async def active_placements(session: AsyncSession) -> list[Placement]:
    """Every active placement (the status column is indexed)."""
    rows = await session.scalars(
        select(Placement).where(Placement.status == PlacementStatus.active).order_by(Placement.id)
    )
    return list(rows.unique())


async def leads_by_organisation(
    session: AsyncSession, organisation_ids: set[int]
) -> dict[int, tuple[int, ...]]:
    """Safeguarding leads of each commissioner: a school's DSLs, an LA's officers."""
    if not organisation_ids:
        return {}
    found = await session.execute(
        select(Organisation.id, Organisation.kind).where(Organisation.id.in_(organisation_ids))
    )
    kinds = {org_id: kind for org_id, kind in found}
    rows = await session.execute(
        select(Person.organisation_id, Person.id, Person.role)
        .where(Person.organisation_id.in_(organisation_ids), Person.active)
        .order_by(Person.id)
    )
    leads: dict[int, list[int]] = {org_id: [] for org_id in organisation_ids}
    for org_id, person_id, role in rows:
        if org_id is None:
            continue
        lead_role = Role.la_officer if kinds.get(org_id) == OrgKind.local_authority else Role.dsl
        if role == lead_role:
            leads[org_id].append(person_id)
    return {org_id: tuple(ids) for org_id, ids in leads.items()}


async def staff_by_provider(
    session: AsyncSession, provider_ids: set[int]
) -> dict[int, tuple[int, ...]]:
    """Each provider's active staff (who take the register)."""
    if not provider_ids:
        return {}
    rows = await session.execute(
        select(Person.organisation_id, Person.id)
        .where(
            Person.organisation_id.in_(provider_ids), Person.role == Role.provider, Person.active
        )
        .order_by(Person.id)
    )
    staff: dict[int, list[int]] = {}
    for org_id, person_id in rows:
        if org_id is not None:
            staff.setdefault(org_id, []).append(person_id)
    return {org_id: tuple(ids) for org_id, ids in staff.items()}


async def gather_facts(session: AsyncSession, now: dt.datetime, times: NudgeTimes) -> Facts:
    """Everything the rules look at, as of `now`."""
    today = london_date(now)
    placements = await active_placements(session)
    ids = [p.id for p in placements]
    org_ids = {p.commissioner_id for p in placements} | {p.provider_id for p in placements}
    calendars = await calendars_for(session, org_ids, today=today)

    reported_today = set(
        await session.scalars(
            select(AttendanceRecord.placement_id)
            .where(AttendanceRecord.date == today, AttendanceRecord.placement_id.in_(ids))
            .distinct()
        )
    )
    unexplained: dict[int, set[dt.date]] = {}
    rows = await session.execute(
        select(AttendanceRecord.placement_id, AttendanceRecord.date).where(
            AttendanceRecord.date >= today - dt.timedelta(days=CME_LOOKBACK_DAYS),
            AttendanceRecord.date <= today,
            AttendanceRecord.status == AttendanceStatus.absent,
            AttendanceRecord.code.in_([c.code for c in codes.unexplained_codes()]),
            AttendanceRecord.placement_id.in_(ids),
        )
    )
    for placement_id, day in rows:
        unexplained.setdefault(placement_id, set()).add(day)
    contacts = await session.execute(
        select(Contact.placement_id, func.max(Contact.contact_date))
        .where(Contact.placement_id.in_(ids))
        .group_by(Contact.placement_id)
    )
    # (A Result has .keys(), so dict(result) would treat it as a mapping.)
    last_contacts = {placement_id: day for placement_id, day in contacts}

    facts = tuple(
        PlacementFacts(
            id=p.id,
            reference=p.reference,
            pupil_name=p.pupil.full_name,
            provider_id=p.provider_id,
            provider_name=p.provider.name,
            commissioner_id=p.commissioner_id,
            owner_id=p.created_by_id,
            start_date=p.start_date,
            days=tuple(p.days),
            absence_deadline=p.absence_deadline,
            calendar=SchoolCalendar(
                calendars[p.commissioner_id].breaks + calendars[p.provider_id].breaks
            ),
            planned_end_date=p.planned_end_date,
            review_date=p.review_date,
            is_full_time=p.is_full_time,
            next_qa_due=p.next_qa_due,
            last_contact=last_contacts.get(p.id),
            reported_today=p.id in reported_today,
            unexplained_days=frozenset(unexplained.get(p.id, ())),
        )
        for p in placements
    )
    checks = await session.scalars(
        select(ChecklistItem).where(
            ChecklistItem.status == ChecklistStatus.not_done,
            ChecklistItem.due_date < today,
            ChecklistItem.placement_id.in_(ids),
        )
    )
    calls = await session.scalars(
        select(WelfareCall).where(
            WelfareCall.status == WelfareCallStatus.open, WelfareCall.placement_id.in_(ids)
        )
    )
    return Facts(
        now=now,
        placements=facts,
        overdue_checks=tuple(
            CheckFacts(
                item_id=item.id,
                placement_id=item.placement_id,
                label=checklist.definition(item.key).label,
                due_date=item.due_date,
                owner_id=item.owner_id,
            )
            for item in checks
            if item.due_date is not None
        ),
        open_calls=tuple(
            CallFacts(
                id=call.id,
                placement_id=call.placement_id,
                absence_date=call.absence_date,
                created_at=call.created_at,
            )
            for call in calls.unique()
        ),
        leads=await leads_by_organisation(session, {p.commissioner_id for p in placements}),
        provider_staff=await staff_by_provider(session, {p.provider_id for p in placements}),
        snoozes=await active_snoozes(session, today),
        times=times,
    )
