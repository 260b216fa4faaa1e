"""The audit log becomes a hash chain, REPLACE is refused on SQLite, and the daily chain check
has a table.

Each audit row gets `seq` (its place in the chain) and `hash` (SHA-256 of the previous row's
hash and its contents); rows already there are chained in the order they were written (by id).
On PostgreSQL, `audit_chain_tip()` takes the advisory lock that serialises appends and returns
the chain's tip. On SQLite, a BEFORE INSERT trigger refuses an insert that would replace a row
(`INSERT OR REPLACE`, `REPLACE`: SQLite deletes the old row without firing the DELETE trigger
unless recursive_triggers is on).

Revision ID: 0016_audit_chain
Revises: 0015_sealed_fields
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The one definition of a row's hash (a migration that hashed differently would leave a chain
# the verifier rejects).
from storage.models.audit_chain import GENESIS, row_hash

revision: str = "0016_audit_chain"
down_revision: str | None = "0015_sealed_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Any fixed number: the advisory lock that serialises appends to the audit log.
CHAIN_LOCK = 7_310_411_200_016

POSTGRES_TIP = f"""
CREATE OR REPLACE FUNCTION audit_chain_tip(OUT tip_seq bigint, OUT tip_hash text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- Held until the caller's transaction ends: the next writer waits, then (a new snapshot
    -- for the next statement, in READ COMMITTED) sees this writer's rows.
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT seq, hash INTO tip_seq, tip_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
END;
$$
"""

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
SQLITE_NO_REPLACE = (
    "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
    "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id OR seq = NEW.seq) "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: a row cannot be replaced'); END"
)

AUDIT_LOG = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime()),
    sa.column("person_id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("action", sa.String()),
    sa.column("record_type", sa.String()),
    sa.column("record_id", sa.Integer()),
    sa.column("placement_id", sa.Integer()),
    sa.column("changes", sa.JSON()),
    sa.column("seq", sa.BigInteger()),
    sa.column("hash", sa.String()),
)


def _chain_existing_rows() -> None:
    """Give the rows already written their place and hash, oldest first, a batch at a time."""
    bind = op.get_bind()
    seq, previous, after = 0, GENESIS, -1
    while True:
        rows = bind.execute(
            sa.select(AUDIT_LOG).where(AUDIT_LOG.c.id > after).order_by(AUDIT_LOG.c.id).limit(2000)
        ).all()
        if not rows:
            return
        updates = []
        for row in rows:
            seq += 1
            values = dict(row._mapping)
            values["seq"] = seq
            previous = row_hash(previous, values)
            updates.append({"row_id": row.id, "seq": seq, "hash": previous})
        bind.execute(
            AUDIT_LOG.update()
            .where(AUDIT_LOG.c.id == sa.bindparam("row_id"))
            .values(seq=sa.bindparam("seq"), hash=sa.bindparam("hash")),
            updates,
        )
        after = rows[-1].id


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    # The append-only triggers are lifted for this one fill (inside the migration's transaction).
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    _chain_existing_rows()
    # (On SQLite this copies the table, which drops its triggers: they are made again below.)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_seq"), ["seq"])
    if postgres:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        op.execute(POSTGRES_TIP)
    else:
        for statement in (*SQLITE_TRIGGERS, SQLITE_NO_REPLACE):
            op.execute(statement)

    op.create_table(
        "audit_checks",
        sa.Column("day", sa.Date(), autoincrement=False, nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("instance", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=True),
        sa.Column("head_hash", sa.String(length=64), nullable=True),
        sa.Column("broken_at_id", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_audit_checks")),
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("audit_checks")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS audit_chain_tip()")
    else:
        for name in ("audit_log_no_replace", "audit_log_no_update", "audit_log_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("seq")
    if not postgres:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
