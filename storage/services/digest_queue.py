"""Queueing the daily digests: one per DSL of each school with active placements, and one per
LA officer of each LA with active placements in it, at the digest time on their school days.

Built in batches, each in its own transaction: a batch's records are read once for all its
people (`load_digest_data`), its digests written, then let go, so 20,000 digests take a few
hundred queries and the memory of one batch. An LA officer sees the whole LA, a DSL a
handful of pupils, so officers go in smaller batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from sqlalchemy import String, and_, cast, exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from storage.db import transaction
from storage.models import (
    Organisation,
    OrgKind,
    OutboxMessage,
    Person,
    Placement,
    PlacementStatus,
    Role,
)
from storage.rules.calendar import SchoolCalendar, london_date
from storage.rules.nudges import digest_due, end_of_day
from storage.services.digest import DIGEST_KIND, digest_from, digest_key, load_digest_data
from storage.services.outbox import MessageToQueue, enqueue_many
from storage.services.terms import calendars_for

DSL_BATCH = 500
LA_OFFICER_BATCH = 10


async def digest_recipients(session: AsyncSession, today: dt.date) -> list[tuple[int, Role]]:
    """The DSLs and LA officers who have active placements to hear about and no digest for
    `today` queued yet (ids and roles, by id)."""
    commissioner = aliased(Organisation)
    active = Placement.status == PlacementStatus.active
    school_has_placements = exists().where(
        active,
        Placement.commissioner_id == Person.organisation_id,
        Organisation.id == Person.organisation_id,
        Organisation.kind == OrgKind.school,
    )
    la_has_placements = exists().where(
        active,
        commissioner.id == Placement.commissioner_id,
        or_(
            commissioner.id == Person.organisation_id,
            and_(commissioner.kind == OrgKind.school, commissioner.la_id == Person.organisation_id),
        ),
    )
    key = literal("digest:") + cast(Person.id, String) + literal(f":{today.isoformat()}")
    rows = await session.execute(
        select(Person.id, Person.role)
        .where(
            Person.active,
            or_(
                and_(Person.role == Role.dsl, school_has_placements),
                and_(Person.role == Role.la_officer, la_has_placements),
            ),
            ~exists().where(OutboxMessage.key == key),
        )
        .order_by(Person.id)
    )
    return [(person_id, role) for person_id, role in rows]


def _batches(recipients: Sequence[tuple[int, Role]]) -> Iterator[list[int]]:
    officers = [pid for pid, role in recipients if role == Role.la_officer]
    leads = [pid for pid, role in recipients if role != Role.la_officer]
    for ids, size in ((leads, DSL_BATCH), (officers, LA_OFFICER_BATCH)):
        for start in range(0, len(ids), size):
            yield ids[start : start + size]


async def queue_digests(
    sessions: async_sessionmaker[AsyncSession], now: dt.datetime, at: dt.time
) -> int:
    """Queue today's digest for everyone due one and not yet queued; how many were queued.

    A digest is built when it is queued, so it describes the morning it is for; if it cannot
    be sent that day it goes stale at midnight (the next morning's digest replaces it)."""
    if digest_due(SchoolCalendar(), now, at) is None:
        return 0  # before the digest time, or a weekend or bank holiday: nobody's is due
    today = london_date(now)
    async with transaction(sessions) as session:
        recipients = await digest_recipients(session, today)
    queued = 0
    for batch in _batches(recipients):
        async with transaction(sessions) as session:
            queued += await _queue_batch(session, batch, now, at)
    return queued


async def _queue_batch(
    session: AsyncSession, person_ids: list[int], now: dt.datetime, at: dt.time
) -> int:
    today = london_date(now)
    people = list(
        (
            await session.scalars(
                select(Person).where(Person.id.in_(person_ids)).order_by(Person.id)
            )
        ).unique()
    )
    calendars = await calendars_for(
        session, {p.organisation_id for p in people if p.organisation_id}, today=today
    )
    due: list[tuple[Person, SchoolCalendar, dt.datetime]] = []
    for person in people:
        if person.organisation_id is None:
            continue
        calendar = calendars[person.organisation_id]
        due_at = digest_due(calendar, now, at)
        if due_at is not None:
            due.append((person, calendar, due_at))
    if not due:
        return 0
    data = await load_digest_data(
        session,
        [person for person, _, _ in due],
        now=now,
        days={calendar.previous_school_day(today) for _, calendar, _ in due},
    )
    messages = []
    for person, calendar, due_at in due:
        digest = digest_from(data, person, now=now, calendar=calendar)
        messages.append(
            MessageToQueue(
                key=digest_key(person.id, today),
                kind=DIGEST_KIND,
                text=digest.text,
                due_at=due_at,
                recipient_id=person.id,
                payload={
                    "subject": f"digest:{person.id}",
                    "open": "digest",
                    "expires_at": end_of_day(today).isoformat(),
                    "sections": digest.sections_payload,
                    "heading": digest.heading,
                },
            )
        )
    return await enqueue_many(session, messages)
