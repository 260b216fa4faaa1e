"""Checking the audit log's hash chain: `apbot audit verify`, and the scheduler once a day.

The walk reads the log in `seq` order and recomputes every row's hash from its contents and the
hash stored on the row before it. The first row where that fails is reported, with what it
means: rows missing (removed), a row whose contents or hash no longer match (changed, or
written outside the bot), or a row the chain does not reach (a forged row with a seq of its
own). What the chain can and cannot prove is in docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import insert_for, transaction
from storage.models import AuditCheck, AuditEntry, Person, Role
from storage.models.audit_chain import CHAINED, GENESIS, row_hash
from storage.rules.calendar import at_london, london_date
from storage.services.outbox import MessageToQueue, enqueue_many
from storage.wording import NoticeKind, admin_notices

log = logging.getLogger(__name__)

BATCH = 2000


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold."""

    row_id: int | None
    seq: int | None
    what: str

    def as_text(self) -> str:
        where = f"row id {self.row_id} (seq {self.seq})" if self.row_id is not None else "the log"
        return f"Audit log chain BROKEN at {where}: {self.what}"


@dataclass(frozen=True)
class ChainReport:
    """What a walk of the chain found."""

    rows: int
    head_seq: int
    head_hash: str
    problem: ChainBreak | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def as_text(self) -> str:
        if self.problem is not None:
            return self.problem.as_text()
        return (
            f"Audit log chain intact: {self.rows} row(s) verified; "
            f"head seq {self.head_seq}, hash {self.head_hash}."
        )


@dataclass(frozen=True)
class Anchor:
    """A row's seq and hash recorded earlier (by a past check, or kept off the server): the
    chain must still pass through it."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, value: str) -> Anchor:
        """`SEQ:HASH`, as `apbot audit verify` prints the head."""
        seq, _, digest = value.partition(":")
        if not seq.strip().isdigit() or len(digest.strip()) != 64:
            raise ValueError("an anchor is SEQ:HASH, e.g. 1204:3f5a... (64 hex digits)")
        return cls(int(seq), digest.strip().lower())


@dataclass(frozen=True)
class _Row:
    """The columns of one audit row the walk needs (plain values: reading ORM objects would
    make a long log's walk several times slower)."""

    id: int
    seq: int | None
    hash: str | None
    values: dict[str, Any]


COLUMNS = [AuditEntry.id, AuditEntry.hash, *(getattr(AuditEntry, name) for name in CHAINED)]


def _check_row(row: _Row, seq: int, previous: str, previous_id: int | None) -> str | None:
    """What is wrong with `row` as the next row after (`seq` - 1, `previous`), or None."""
    after = f"row id {previous_id}" if previous_id is not None else "the start of the log"
    if row.seq is None or not row.hash:
        return "it has no place or hash in the chain: it was written outside the bot (forged)."
    if row.seq > seq:
        missing = f"seq {seq}" if row.seq == seq + 1 else f"seq {seq} to {row.seq - 1}"
        return (
            f"the row(s) with {missing}, after {after}, are missing: removed (or this row was "
            "written by hand with a seq of its own)."
        )
    if row.hash != row_hash(previous, row.values, read_back=True):
        return (
            "its stored hash does not match its contents chained to "
            f"{after}: this row was changed or forged, or {after} was changed and given a new "
            "hash."
        )
    return None


async def _rows_after(session: AsyncSession, seq: int) -> list[_Row]:
    connection = await session.connection()
    result = await connection.execute(
        select(*COLUMNS).where(AuditEntry.seq > seq).order_by(AuditEntry.seq).limit(BATCH)
    )
    return [
        _Row(
            id=row.id,
            seq=row.seq,
            hash=row.hash,
            values={name: row._mapping[name] for name in CHAINED},
        )
        for row in result
    ]


async def verify_chain(session: AsyncSession, *, anchors: tuple[Anchor, ...] = ()) -> ChainReport:
    """Walk the whole chain, oldest first; the first break (if any) and how far it reached."""
    wanted = {anchor.seq: anchor.hash for anchor in anchors}
    seq, previous, previous_id, rows = 0, GENESIS, None, 0
    while True:
        batch = await _rows_after(session, seq)
        for row in batch:
            what = _check_row(row, seq + 1, previous, previous_id)
            if what is None and wanted.get(row.seq or 0, row.hash) != row.hash:
                what = (
                    f"the chain no longer passes through the anchor recorded for seq {row.seq}:"
                    " rows at or before it were changed and every later hash rewritten."
                )
            if what is not None:
                return ChainReport(rows, seq, previous, ChainBreak(row.id, row.seq, what))
            assert row.seq is not None and row.hash is not None
            seq, previous, previous_id, rows = row.seq, row.hash, row.id, rows + 1
        if len(batch) < BATCH:
            break
    # Rows with no seq at all are never reached by the walk above.
    unchained = await session.scalar(
        select(func.min(AuditEntry.id)).where(AuditEntry.seq.is_(None) | AuditEntry.hash.is_(None))
    )
    if unchained is not None:
        return ChainReport(
            rows,
            seq,
            previous,
            ChainBreak(unchained, None, "it has no place in the chain: forged."),
        )
    beyond = [anchor for anchor in anchors if anchor.seq > seq]
    if beyond:
        return ChainReport(
            rows,
            seq,
            previous,
            ChainBreak(
                None,
                beyond[0].seq,
                f"the log ends at seq {seq}, but seq {beyond[0].seq} was recorded earlier: "
                "the newest rows were removed.",
            ),
        )
    return ChainReport(rows, seq, previous)


async def last_check(session: AsyncSession) -> AuditCheck | None:
    """The most recent daily check that found the chain intact."""
    return await session.scalar(
        select(AuditCheck)
        .where(AuditCheck.broken_at_id.is_(None), AuditCheck.problem.is_(None))
        .order_by(AuditCheck.day.desc())
        .limit(1)
    )


async def check_daily(
    sessions: async_sessionmaker[AsyncSession],
    now: dt.datetime,
    *,
    due: dt.time,
    instance: str,
) -> ChainReport | None:
    """The scheduler's daily check: once a day, at the first pass at or after `due` (London),
    walk the chain (through the head the last intact check recorded), record the result, and on
    a break alert every admin. None when today's check is not due or already done."""
    today = london_date(now)
    if now < at_london(today, due):
        return None
    async with transaction(sessions) as session:
        if await session.get(AuditCheck, today) is not None:
            return None
        previous = await last_check(session)
        anchors = (
            (Anchor(previous.head_seq, previous.head_hash),)
            if previous and previous.head_seq and previous.head_hash
            else ()
        )
        report = await verify_chain(session, anchors=anchors)
    async with transaction(sessions) as session:
        claimed = await session.execute(
            insert_for(session, AuditCheck)
            .values(
                day=today,
                checked_at=now,
                instance=instance,
                rows=report.rows,
                head_seq=report.head_seq or None,
                head_hash=report.head_hash if report.head_seq else None,
                broken_at_id=report.problem.row_id if report.problem else None,
                problem=report.problem.as_text() if report.problem else None,
            )
            .on_conflict_do_nothing(index_elements=["day"])
            .returning(AuditCheck.day)
        )
        if claimed.first() is None:  # another instance checked a moment ago
            return None
        if report.problem is None:
            log.info("audit chain check: %s", report.as_text())
            return report
        log.error("audit chain check: %s", report.as_text())
        admins = await session.scalars(
            select(Person.id).where(Person.role == Role.admin, Person.active).order_by(Person.id)
        )
        text = admin_notices.audit_chain_broken(report.problem.as_text())
        await enqueue_many(
            session,
            [
                MessageToQueue(
                    key=f"audit-chain:{today.isoformat()}:{admin}",
                    kind=NoticeKind.audit_chain_broken,
                    text=text,
                    due_at=now,
                    recipient_id=admin,
                )
                for admin in admins
            ],
        )
    return report
