"""Reading the audit log: what happened to a placement, who did it, when and from where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import AuditEntry, Person, Placement

# Columns that say nothing to a reader of the trail.
QUIET = {"id", "placement_id", "created_at", "updated_at", "owner_id", "done_by_id", "done_at"}


@dataclass(frozen=True)
class TrailLine:
    at: str
    who: str
    channel: str
    action: str
    record: str
    detail: str

    def as_text(self) -> str:
        return f"{self.at} · {self.who} via {self.channel} · {self.action} {self.record}{': ' + self.detail if self.detail else ''}"


def _detail(entry: AuditEntry) -> str:
    changes: dict[str, Any] = entry.changes or {}
    if entry.action == "updated":
        return "; ".join(
            f"{field}: {change.get('from')} → {change.get('to')}"
            if isinstance(change, dict)
            else f"{field} changed"  # a sensitive field: that it changed, never its value
            for field, change in changes.items()
            if field not in QUIET
        )
    if entry.record_type == "ChecklistItem":
        return f"{changes.get('key')} ({changes.get('status')})"
    if entry.action == "exported":
        return "full record exported"
    return ""


async def placement_trail(
    session: AsyncSession, placement: Placement, *, limit: int = 200
) -> list[TrailLine]:
    """The placement's audit entries, oldest first (the most recent `limit`)."""
    rows = list(
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.placement_id == placement.id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
    names = {
        p.id: p.name
        for p in (
            await session.scalars(
                select(Person).where(Person.id.in_({r.person_id for r in rows if r.person_id}))
            )
        ).unique()
    }
    return [
        TrailLine(
            at=f"{entry.at.astimezone(LONDON):%d/%m/%Y %H:%M}",
            who=names.get(entry.person_id or 0, "the system"),
            channel=entry.channel,
            action=entry.action,
            record=f"{entry.record_type} #{entry.record_id}",
            detail=_detail(entry),
        )
        for entry in reversed(rows)
    ]
