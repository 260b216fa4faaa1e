"""The audit log: every change to any record, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import EncryptedText
from storage.models import AuditEntry, Base

# Columns whose values never go into the audit log, only the fact they were recorded or
# changed: free text, and a pupil's identifiers and flags (the log outlives a purge).
SENSITIVE_COLUMNS = frozenset(
    {
        "first_name",
        "last_name",
        "pupil_voice",
        "why_not_seen",
        "concerns",
        "text",
        "reason",
        "summary",
        "outcome",
        "na_reason",
        "reintegration_notes",
        "actions_agreed",
        "evidence",
        "objectives",
        "return_plan",
        "welfare_call_arrangements",
        "other_providers",
        "upn",
        "date_of_birth",
        "cp_plan",
        "cin_plan",
        "looked_after",
        "ehcp",
        "fsm_eligible",
    }
)
RECORDED = "(recorded)"
CHANGED = "(changed)"


@dataclass(frozen=True)
class Sealed:
    """A sensitive value in a snapshot: compares like the value (so a change is noticed), but
    is written to the log only as "(recorded)" (or nothing, when empty), never the value.
    Only a digest is kept, even in memory."""

    digest: str
    present: bool

    @classmethod
    def of(cls, value: Any) -> Sealed:
        plain = repr(_plain(value)).encode()
        return cls(hashlib.sha256(plain).hexdigest(), value is not None and value != "")

    def written(self) -> str | None:
        return RECORDED if self.present else None


@dataclass(frozen=True)
class Change:
    """Who is making a change, from which channel, and when."""

    person_id: int | None
    channel: str
    at: dt.datetime


def _plain(value: Any) -> Any:
    if isinstance(value, Sealed):
        return value.written()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def snapshot(record: Base) -> dict[str, Any]:
    """The record's column values as plain JSON, sensitive ones sealed (see `Sealed`)."""
    mapper = inspect(record).mapper
    values: dict[str, Any] = {}
    for column in mapper.column_attrs:
        value = getattr(record, column.key)
        sealed = column.key in SENSITIVE_COLUMNS or isinstance(
            column.columns[0].type, EncryptedText
        )  # what is encrypted at rest never goes into the log in clear
        values[column.key] = Sealed.of(value) if sealed else _plain(value)
    return values


async def audit(
    session: AsyncSession,
    change: Change,
    *,
    action: str,
    record: Base,
    changes: dict[str, Any] | None = None,
    placement_id: int | None = None,
) -> AuditEntry:
    """Append an audit entry for `record` (flushed first if it has no id yet)."""
    if inspect(record).identity is None:
        await session.flush()
    record_id = inspect(record).identity
    entry = AuditEntry(
        at=change.at,
        person_id=change.person_id,
        channel=change.channel,
        action=action,
        record_type=type(record).__name__,
        record_id=int(record_id[0]) if record_id else 0,
        placement_id=placement_id,
        changes={
            k: _plain(v) for k, v in (changes if changes is not None else snapshot(record)).items()
        },
    )
    session.add(entry)
    return entry


async def audit_created(
    session: AsyncSession, change: Change, record: Base, *, placement_id: int | None = None
) -> AuditEntry:
    """Audit a newly created record with all its values."""
    if inspect(record).identity is None:
        await session.flush()
    return await audit(
        session,
        change,
        action="created",
        record=record,
        placement_id=placement_id,
        changes=snapshot(record),
    )


async def audit_updated(
    session: AsyncSession,
    change: Change,
    record: Base,
    before: dict[str, Any],
    *,
    placement_id: int | None = None,
) -> AuditEntry | None:
    """Audit what differs between `before` (a `snapshot`) and the record now."""
    after = snapshot(record)
    diff = {
        k: CHANGED if isinstance(v, Sealed) else {"from": before.get(k), "to": v}
        for k, v in after.items()
        if before.get(k) != v
    }
    if not diff:
        return None
    return await audit(
        session, change, action="updated", record=record, changes=diff, placement_id=placement_id
    )
