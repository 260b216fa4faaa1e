"""Term breaks per school or local authority, and the school-day calendar they make.

A school's calendar is Monday to Friday, less England and Wales bank holidays, less its own
breaks and its local authority's (an LA-wide closure applies to every school in it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Executable, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation, TermBreakRecord
from storage.rules.calendar import SchoolCalendar, TermBreak
from storage.services.audit import Change, audit_created
from storage.services.chunks import chunk_size, chunks, listed

# Breaks that ended this long ago no longer matter to the scheduler (the longest look-back is
# the digest's four weeks of attendance).
CALENDAR_LOOKBACK = dt.timedelta(days=60)


async def import_breaks(
    session: AsyncSession,
    change: Change,
    *,
    organisation: Organisation,
    breaks: Sequence[TermBreak],
) -> tuple[int, int]:
    """Add the breaks to the organisation's calendar, skipping any already there (same name and
    first day). Returns (added, already there)."""
    existing = {
        (row.name, row.first_day)
        for row in await session.scalars(
            select(TermBreakRecord).where(TermBreakRecord.organisation_id == organisation.id)
        )
    }
    added = 0
    for term_break in breaks:
        if (term_break.name, term_break.first_day) in existing:
            continue
        row = TermBreakRecord(
            organisation_id=organisation.id,
            name=term_break.name,
            first_day=term_break.first_day,
            last_day=term_break.last_day,
            created_at=change.at,
        )
        session.add(row)
        await audit_created(session, change, row)
        existing.add((term_break.name, term_break.first_day))
        added += 1
    return added, len(breaks) - added


async def list_breaks(
    session: AsyncSession, organisation_id: int | None = None
) -> list[TermBreakRecord]:
    """Every configured break (of one organisation, if given), in date order."""
    query = select(TermBreakRecord).order_by(TermBreakRecord.first_day, TermBreakRecord.id)
    if organisation_id is not None:
        query = query.where(TermBreakRecord.organisation_id == organisation_id)
    return list(await session.scalars(query))


def _calendar_reads(*, postgresql: bool) -> tuple[Executable, Executable]:
    """The two reads of `calendars_for`: organisations' local authorities, and the breaks of a
    list of organisations since a day."""
    local_authorities = select(Organisation.id, Organisation.la_id).where(
        listed(Organisation.id, "ids", postgresql=postgresql)
    )
    breaks = select(
        TermBreakRecord.organisation_id,
        TermBreakRecord.name,
        TermBreakRecord.first_day,
        TermBreakRecord.last_day,
    ).where(
        listed(TermBreakRecord.organisation_id, "ids", postgresql=postgresql),
        TermBreakRecord.last_day >= bindparam("since"),
    )
    return local_authorities, breaks


# Built once (a dialog asking for a day reads a calendar on every turn; building the
# statement cost more than running it), by whether the database is PostgreSQL.
_CALENDAR_READS = {
    postgresql: _calendar_reads(postgresql=postgresql) for postgresql in (True, False)
}


async def calendars_for(
    session: AsyncSession, organisation_ids: Iterable[int], *, today: dt.date
) -> dict[int, SchoolCalendar]:
    """The school-day calendar of each organisation: its breaks and its LA's (recent and
    future ones only)."""
    ids = sorted(set(organisation_ids))
    local_authorities, breaks = _CALENDAR_READS[session.get_bind().dialect.name == "postgresql"]
    size = chunk_size(session)  # a national pass asks for thousands
    la_of: dict[int, int | None] = {}
    for chunk in chunks(ids, size):
        rows = await session.execute(local_authorities, {"ids": chunk})
        la_of.update({org_id: la_id for org_id, la_id in rows})
    wanted = set(ids) | {la for la in la_of.values() if la is not None}
    by_org: dict[int, list[TermBreak]] = {}
    since = today - CALENDAR_LOOKBACK
    for chunk in chunks(wanted, size):
        found = await session.execute(breaks, {"ids": chunk, "since": since})
        for org_id, name, first_day, last_day in found:
            by_org.setdefault(org_id, []).append(
                TermBreak(name=name, first_day=first_day, last_day=last_day)
            )
    calendars: dict[int, SchoolCalendar] = {}
    for org_id in ids:
        la_id = la_of.get(org_id)
        breaks_here = by_org.get(org_id, []) + (by_org.get(la_id, []) if la_id else [])
        calendars[org_id] = SchoolCalendar(tuple(sorted(breaks_here, key=lambda b: b.first_day)))
    return calendars


async def calendar_for(
    session: AsyncSession, organisation_id: int, *, today: dt.date
) -> SchoolCalendar:
    """One organisation's calendar."""
    return (await calendars_for(session, [organisation_id], today=today))[organisation_id]


async def placement_days(
    session: AsyncSession, *, commissioner_id: int, provider_id: int, today: dt.date
) -> SchoolCalendar:
    """School days for a placement: its commissioner's and its provider's breaks (and their
    LAs'), so a day either is closed is not term time for it."""
    ids = [commissioner_id, provider_id]
    calendars = await calendars_for(session, ids, today=today)
    breaks = {b for org in ids for b in calendars[org].breaks}
    return SchoolCalendar(tuple(sorted(breaks, key=lambda b: (b.first_day, b.name))))


async def placements_days(
    session: AsyncSession, pairs: Iterable[tuple[int, int]], *, today: dt.date
) -> dict[tuple[int, int], SchoolCalendar]:
    """`placement_days` for many placements at once, by (commissioner id, provider id)."""
    wanted = sorted(set(pairs))
    calendars = await calendars_for(session, {org for pair in wanted for org in pair}, today=today)
    return {
        (school, provider): SchoolCalendar(
            tuple(
                sorted(
                    set(calendars[school].breaks) | set(calendars[provider].breaks),
                    key=lambda b: (b.first_day, b.name),
                )
            )
        )
        for school, provider in wanted
    }
