"""Reading the audit log: what happened to a placement, who did it, when and from where, in
plain words ("changed the placement: next QA visit due: 13/11/2026 → 20/11/2026"), newest
first a page at a time (`trail_page`) or all of it (`placement_trail`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import AuditEntry, ChecklistItem, Person, Placement
from storage.rules import checklist

# Columns that say nothing to a reader of the trail.
QUIET = {"id", "placement_id", "created_at", "updated_at", "owner_id", "done_by_id", "done_at"}
# Each kind of record as a reader would name it.
RECORD_NAMES = {
    "Placement": "the placement",
    "ChecklistItem": "a check",
    "QaVisit": "a QA visit",
    "Contact": "a contact",
    "AttendanceRecord": "a register mark",
    "AttendanceChange": "a change of mark",
    "WelfareCall": "a welfare call",
    "WelfareCallAttempt": "a welfare call attempt",
    "WelfareEscalation": "a welfare call raised with the DSL",
    "ChronologyEntry": "a chronology entry",
    "ConcernReview": "a review of the placement",
    "NudgeSnooze": "a reminder's snooze",
    "Pupil": "the pupil's record",
    "OutboxMessage": "a message",
}
ACTION_WORDS = {"created": "added", "updated": "changed", "exported": "exported"}
# Fields whose name alone would puzzle a reader.
FIELD_NAMES = {
    "next_qa_due": "next QA visit due",
    "next_visit_due": "next visit due",
    "ended_on": "last day",
    "closed_at": "closed",
    "end_outcome": "outcome",
    "provider_days": "days at the provider",
    "provider_hours": "hours at the provider",
    "school_hours": "hours at school",
    "other_hours": "hours elsewhere",
    "is_full_time": "full-time",
    "absence_deadline": "absence deadline",
    "welfare_call_party": "welfare calls made by",
    "welfare_call_person_id": "welfare calls made by (person)",
    "la_notified_on": "LA notified",
    "qa_rating": "rating",
    "na_reason": "reason not applicable",
    "due_date": "due",
    "status": "status",
}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T")


@dataclass(frozen=True)
class TrailLine:
    at: str
    who: str
    channel: str
    action: str
    record: str
    detail: str

    def as_text(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.at} · {self.who} via {self.channel} · {self.action} {self.record}{detail}"


def plain_value(value: Any) -> str:
    """A logged value as a reader would write it: dates 27/11/2026, yes/no, words."""
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if _ISO_DAY.match(value):
            return f"{dt.date.fromisoformat(value):%d/%m/%Y}"
        if _ISO_INSTANT.match(value):
            try:
                instant = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            if instant.tzinfo is not None:
                instant = instant.astimezone(LONDON)
            return f"{instant:%d/%m/%Y %H:%M}"
        if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", value):
            return value.replace("_", " ")
        return value
    if isinstance(value, list):
        return ", ".join(plain_value(v) for v in value) or "none"
    return str(value)


def field_name(field: str) -> str:
    return FIELD_NAMES.get(field, field.removesuffix("_id").replace("_", " "))


def record_name(record_type: str) -> str:
    return RECORD_NAMES.get(
        record_type, re.sub(r"(?<!^)(?=[A-Z])", " ", record_type).lower() or record_type
    )


def _check_label(key: Any) -> str:
    try:
        return checklist.definition(str(key)).label
    except (KeyError, ValueError):
        return str(key)


def _detail(entry: AuditEntry) -> str:
    changes: dict[str, Any] = entry.changes or {}
    if entry.action == "updated":
        return "; ".join(
            f"{field_name(field)}: {plain_value(change.get('from'))} → "
            f"{plain_value(change.get('to'))}"
            if isinstance(change, dict)
            else f"{field_name(field)} changed"  # a sensitive field: that it changed, never its value
            for field, change in changes.items()
            if field not in QUIET
        )
    if entry.record_type == "ChecklistItem":
        return plain_value(changes.get("status"))
    if entry.record_type == "AttendanceRecord" and entry.action == "created":
        return " ".join(
            plain_value(changes[field])
            for field in ("date", "session", "status", "code")
            if changes.get(field) not in (None, "")
        )
    if entry.action == "exported":
        return "full record exported"
    return ""


def _record(entry: AuditEntry, checks: dict[int, str]) -> str:
    if entry.record_type == "ChecklistItem" and entry.record_id in checks:
        return f'the check "{_check_label(checks[entry.record_id])}"'
    if entry.record_type == "ChecklistItem" and (entry.changes or {}).get("key"):
        return f'the check "{_check_label(entry.changes["key"])}"'
    return record_name(entry.record_type)


async def _lines(session: AsyncSession, rows: list[AuditEntry]) -> list[TrailLine]:
    names = {
        p.id: p.name
        for p in (
            await session.scalars(
                select(Person).where(Person.id.in_({r.person_id for r in rows if r.person_id}))
            )
        ).unique()
    }
    check_ids = {r.record_id for r in rows if r.record_type == "ChecklistItem"}
    checks: dict[int, str] = {}
    if check_ids:
        found = await session.execute(
            select(ChecklistItem.id, ChecklistItem.key).where(ChecklistItem.id.in_(check_ids))
        )
        checks = {item_id: key for item_id, key in found}
    return [
        TrailLine(
            at=f"{entry.at.astimezone(LONDON):%d/%m/%Y %H:%M}",
            who=names.get(entry.person_id or 0, "the system"),
            channel=entry.channel,
            action=ACTION_WORDS.get(entry.action, entry.action.replace("_", " ")),
            record=_record(entry, checks),
            detail=_detail(entry),
        )
        for entry in rows
    ]


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
    return await _lines(session, list(reversed(rows)))


@dataclass(frozen=True)
class TrailPage:
    """One page of a placement's trail, newest first."""

    lines: list[TrailLine]
    total: int
    # How many older entries remain after this page.
    left: int
    # Where the next page starts: the id of this page's oldest entry (None: no more).
    before: int | None


async def trail_page(
    session: AsyncSession, placement: Placement, *, before: int | None = None, size: int = 20
) -> TrailPage:
    """`size` of the placement's audit entries, newest first, older than entry `before`
    (None: from the newest). The log is append-only, so its ids follow the order it was
    written: paging by id never repeats or skips an entry, even as new ones are added."""
    mine = AuditEntry.placement_id == placement.id
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(mine)) or 0
    query = select(AuditEntry).where(mine)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    older = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(await session.scalars(query.order_by(AuditEntry.id.desc()).limit(size)))
    left = max(older - len(rows), 0)
    return TrailPage(
        lines=await _lines(session, rows),
        total=total,
        left=left,
        before=rows[-1].id if rows and left else None,
    )
