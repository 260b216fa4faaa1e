"""Retention: removing what is past its keeping period, and recording that it was done.

Attendance is kept 6 years by default. A placement's safeguarding records (checklist, QA
visits, contacts, attendance, welfare calls, chronology, messages) are kept for the school's
policy period after the placement ended (25 years by default); a pupil goes when the last of
their placements does. The audit log is never purged by the application.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CLOSED_STATUSES, AttendanceRecord, AuditEntry, Base, Placement
from storage.services.audit import Change

NEVER_PURGED = {"audit_log", "alembic_version"}


@dataclass(frozen=True)
class RetentionPolicy:
    attendance_years: int = 6
    safeguarding_years: int = 25


@dataclass
class PurgeSummary:
    """Rows removed (or, in a dry run, that would be) per table."""

    counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = True

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_text(self) -> str:
        verb = "Would remove" if self.dry_run else "Removed"
        if not self.total:
            return "Nothing is past its retention period."
        parts = ", ".join(f"{n} from {table}" for table, n in sorted(self.counts.items()) if n)
        return f"{verb} {self.total} record(s): {parts}."


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _dependants(table: Table) -> list[tuple[Table, str]]:
    """Tables (and their column) holding a foreign key to `table`."""
    found = []
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table and other.name not in NEVER_PURGED:
                found.append((other, fk.parent.name))
    return found


async def _collect(
    session: AsyncSession, table: Table, ids: set[int], into: dict[str, set[int]]
) -> None:
    """Every row that depends, directly or through others, on the rows `ids` of `table`."""
    into[table.name] |= ids
    for other, column in _dependants(table):
        if other is table or not ids:
            continue
        rows = set(await session.scalars(select(other.c.id).where(other.c[column].in_(ids))))
        new = rows - into[other.name]
        if new:
            await _collect(session, other, new, into)


async def purge(
    session: AsyncSession, change: Change, *, today: dt.date, policy: RetentionPolicy, dry_run: bool
) -> PurgeSummary:
    """Remove what is past retention (or only count it, in a dry run)."""
    doomed: dict[str, set[int]] = defaultdict(set)
    cutoff = years_before(today, policy.safeguarding_years)
    old = set(
        await session.scalars(
            select(Placement.id).where(
                Placement.status.in_(CLOSED_STATUSES), Placement.ended_on < cutoff
            )
        )
    )
    placements = Base.metadata.tables["placements"]
    await _collect(session, placements, old, doomed)
    # Pupils whose every placement goes (and who have been placed at all) go too.
    pupils = set(await session.scalars(select(Placement.pupil_id).where(Placement.id.in_(old))))
    kept = set(
        await session.scalars(
            select(Placement.pupil_id).where(
                Placement.pupil_id.in_(pupils), Placement.id.not_in(old)
            )
        )
    )
    await _collect(session, Base.metadata.tables["pupils"], pupils - kept, doomed)
    attendance = set(
        await session.scalars(
            select(AttendanceRecord.id).where(
                AttendanceRecord.date < years_before(today, policy.attendance_years)
            )
        )
    )
    await _collect(session, Base.metadata.tables["attendance"], attendance, doomed)

    summary = PurgeSummary(
        counts={name: len(ids) for name, ids in doomed.items() if ids}, dry_run=dry_run
    )
    if dry_run or not summary.total:
        return summary
    for table in reversed(Base.metadata.sorted_tables):
        ids = doomed.get(table.name)
        if ids:
            await session.execute(delete(table).where(table.c.id.in_(ids)))
    session.add(
        AuditEntry(
            at=change.at,
            person_id=change.person_id,
            channel=change.channel,
            action="purged",
            record_type="Retention",
            record_id=0,
            placement_id=None,
            changes={
                "removed": summary.counts,
                "attendance_years": policy.attendance_years,
                "safeguarding_years": policy.safeguarding_years,
            },
        )
    )
    return summary
