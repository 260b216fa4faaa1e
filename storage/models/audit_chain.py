"""The audit log's hash chain: every row carries the SHA-256 of the previous row's hash and its
own contents, so a row changed, removed or forged after it was written shows when the chain is
walked (`storage.services.audit_chain.verify_chain`).

The chain is filled in by a flush hook, whatever code adds the `AuditEntry`: just before the
rows are inserted, the hook reads the chain's tip (one query) and gives each new row the next
`seq` and its hash. Appends are serialised so two writers cannot fork the chain: on SQLite every
write transaction already holds the database's write lock (`BEGIN IMMEDIATE`, storage.db); on
PostgreSQL the tip is read by `audit_chain_tip()` (migration 0016_audit_chain), which first takes
a transaction-scoped advisory lock, held until the writer commits or rolls back. The unique
`seq` is the backstop: two rows can never claim the same place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session, SessionTransaction, SessionTransactionOrigin, UOWTransaction

from storage.models.system import AuditEntry

# The "previous hash" of the first row.
GENESIS = "0" * 64
# Where a session keeps the tip of the chain it is appending to (see `_chain_new_entries`).
TIP = "audit_chain_tip"
# The columns a row's hash covers, in order (not `id`: it is given by the database on insert;
# `seq` is the row's place in the chain).
CHAINED = ("seq", "at", "person_id", "channel", "action", "record_type", "record_id",
           "placement_id", "changes")  # fmt: skip


def _utc_text(value: dt.datetime | None) -> str | None:
    """An instant as the database keeps it (naive UTC), whatever zone it was given in."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat()


def canonical(values: dict[str, Any], *, read_back: bool = False) -> bytes:
    """One row's contents as bytes that are the same before it is written and after it is read
    back, on either database: JSON with sorted keys, the time as naive UTC, `changes` as it
    comes back from its JSON column (`read_back`: the values are that already)."""
    plain = {name: values.get(name) for name in CHAINED}
    plain["at"] = _utc_text(plain["at"])
    if plain["changes"] is None:
        plain["changes"] = {}
    elif not read_back:
        # A JSON column returns what json.loads makes of what was stored (tuples become lists,
        # number keys become strings): hash that, not what the code handed in.
        plain["changes"] = json.loads(json.dumps(plain["changes"]))
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(previous: str, values: dict[str, Any], *, read_back: bool = False) -> str:
    """The hash of one row: SHA-256 over the previous row's hash, a newline, and its contents."""
    return hashlib.sha256(
        previous.encode() + b"\n" + canonical(values, read_back=read_back)
    ).hexdigest()


def entry_values(entry: AuditEntry) -> dict[str, Any]:
    """The chained columns of an audit row (written or about to be)."""
    return {name: getattr(entry, name) for name in CHAINED}


def chain_tip(session: Session) -> tuple[int, str]:
    """The last row's `seq` and hash (0 and GENESIS for an empty log), read under the lock that
    serialises appends (see the module's docstring)."""
    connection = session.connection()
    query = (
        "SELECT tip_seq, tip_hash FROM audit_chain_tip()"
        if connection.dialect.name == "postgresql"
        else "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
    )
    row = connection.execute(text(query)).first()
    if row is None or row[0] is None:
        return 0, GENESIS
    return int(row[0]), str(row[1])


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """Give each audit row about to be inserted its place in the chain and its hash."""
    new = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    if not new:
        return
    # The tip is read once a transaction (the lock is held from then on, so nobody else can
    # append); later flushes in it go on from the last row this session chained.
    seq, previous = session.info.get(TIP) or chain_tip(session)
    for entry in sorted(new, key=lambda obj: inspect(obj).insert_order or 0):
        seq += 1
        if entry.changes is None:  # the column's default, made explicit so it is hashed
            entry.changes = {}
        entry.seq = seq
        entry.hash = previous = row_hash(previous, entry_values(entry))
    session.info[TIP] = (seq, previous)


@event.listens_for(Session, "after_transaction_end")
def _forget_tip(session: Session, transaction: SessionTransaction) -> None:
    """A transaction (or savepoint) ended, committed or rolled back: read the tip afresh. (Not
    for the inner transaction every flush opens and closes.)"""
    if transaction.origin is not SessionTransactionOrigin.SUBTRANSACTION:
        session.info.pop(TIP, None)
