"""Queueing the daily digests: one per DSL of each school with active placements, and one per
LA officer of each LA with active placements in it, at the digest time on their school days."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Organisation,
    OrgKind,
    OutboxMessage,
    Person,
    Placement,
    PlacementStatus,
    Role,
)
from storage.rules.calendar import london_date
from storage.rules.nudges import digest_due, end_of_day
from storage.services.digest import DIGEST_KIND, build_digest, digest_key
from storage.services.outbox import enqueue
from storage.services.terms import calendars_for


async def digest_recipients(session: AsyncSession) -> list[Person]:
    """The DSLs and LA officers who have active placements to hear about."""
    commissioner_ids = set(
        await session.scalars(
            select(Placement.commissioner_id)
            .where(Placement.status == PlacementStatus.active)
            .distinct()
        )
    )
    if not commissioner_ids:
        return []
    organisations = list(
        await session.scalars(select(Organisation).where(Organisation.id.in_(commissioner_ids)))
    )
    schools = {o.id for o in organisations if o.kind == OrgKind.school}
    las = {o.id for o in organisations if o.kind == OrgKind.local_authority}
    las |= {o.la_id for o in organisations if o.kind == OrgKind.school and o.la_id is not None}
    people = await session.scalars(
        select(Person)
        .where(
            Person.active,
            ((Person.role == Role.dsl) & Person.organisation_id.in_(schools))
            | ((Person.role == Role.la_officer) & Person.organisation_id.in_(las)),
        )
        .order_by(Person.id)
    )
    return list(people.unique())


async def queue_digests(session: AsyncSession, now: dt.datetime, at: dt.time) -> int:
    """Queue today's digest for everyone due one and not yet queued; how many were queued.

    A digest is built when it is queued, so it describes the morning it is for; if it cannot
    be sent that day it goes stale at midnight (the next morning's digest replaces it)."""
    today = london_date(now)
    people = await digest_recipients(session)
    calendars = await calendars_for(
        session, {p.organisation_id for p in people if p.organisation_id}, today=today
    )
    keys = {digest_key(p.id, today) for p in people}
    known = set(await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys))))
    queued = 0
    for person in people:
        if person.organisation_id is None or digest_key(person.id, today) in known:
            continue
        calendar = calendars[person.organisation_id]
        due = digest_due(calendar, now, at)
        if due is None:
            continue
        digest = await build_digest(session, person, now=now, calendar=calendar)
        queued += await enqueue(
            session,
            key=digest_key(person.id, today),
            kind=DIGEST_KIND,
            text=digest.text,
            due_at=due,
            recipient_id=person.id,
            payload={
                "subject": f"digest:{person.id}",
                "open": "digest",
                "expires_at": end_of_day(today).isoformat(),
                "sections": digest.sections_payload,
                "heading": digest.heading,
            },
        )
    return queued
