"""The day's reminders swept in parts (a fixed set of LAs each), so that several scheduler
instances share the 08:30 sweep: `reminder_sweeps` records a (day, part) rather than a day.
Rows already there are part 0 of their day (the whole day, swept as one part).

The outbox loses four indexes that no query needs, each written on every insert (about 24,000
at 08:30 at national scale): `status` and `recipient_id` alone (the leading columns of
`ix_outbox_status_due_at` and `ix_outbox_recipient_id_kind_due_at`, which answer the same
look-ups), `kind` (never looked up alone) and `next_attempt_at` (delivery finds its rows by
status and due time; the retry time is checked on those rows).

Revision ID: 0029_sweep_parts
Revises: 0028_sites_where
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_sweep_parts"
down_revision: str | None = "0028_sites_where"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = {
    "ix_outbox_status": ["status"],
    "ix_outbox_recipient_id": ["recipient_id"],
    "ix_outbox_kind": ["kind"],
    "ix_outbox_next_attempt_at": ["next_attempt_at"],
}


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        for name in DROPPED:
            batch_op.drop_index(name)
    with op.batch_alter_table("reminder_sweeps", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("part", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("pk_reminder_sweeps", type_="primary")
        batch_op.create_primary_key("pk_reminder_sweeps", ["day", "part"])


def downgrade() -> None:
    # One row per day again: the day's first part's row, with the day's total (a day only
    # partly swept counts as swept: the old code would not finish it).
    first = "(SELECT min(part) FROM reminder_sweeps AS d WHERE d.day = reminder_sweeps.day)"
    op.execute(
        "UPDATE reminder_sweeps SET queued = (SELECT sum(queued) FROM reminder_sweeps AS d"
        f" WHERE d.day = reminder_sweeps.day) WHERE part = {first}"
    )
    op.execute(f"DELETE FROM reminder_sweeps WHERE part <> {first}")
    op.execute("UPDATE reminder_sweeps SET part = 0")
    with op.batch_alter_table("reminder_sweeps", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_reminder_sweeps", type_="primary")
        batch_op.drop_column("part")
        batch_op.create_primary_key("pk_reminder_sweeps", ["day"])
    with op.batch_alter_table("outbox") as batch_op:
        for name, columns in DROPPED.items():
            batch_op.create_index(name, columns, unique=False)
