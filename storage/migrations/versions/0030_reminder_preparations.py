"""The day's reminders prepared ahead of the reminder time (REMINDER_PREPARE_AT) and only what
changed since reconciled at it: `reminder_preparations` records each (day, part) prepared, and
the outbox rows it wrote carry its id in `outbox.preparation_id` (held until it is released).

Revision ID: 0030_reminder_preparations
Revises: 0029_sweep_parts
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_reminder_preparations"
down_revision: str | None = "0029_sweep_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_preparations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(), nullable=False),
        sa.Column("instance", sa.String(length=100), nullable=False),
        sa.Column("audit_seq", sa.BigInteger(), nullable=False),
        sa.Column("reminder_time", sa.Time(), nullable=False),
        sa.Column("prepared", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reminder_preparations"),
        sa.UniqueConstraint("day", "part", name="uq_reminder_preparations_day"),
    )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("preparation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_outbox_preparation_id",
            ["preparation_id"],
            unique=False,
            postgresql_where=sa.text("preparation_id IS NOT NULL"),
            sqlite_where=sa.text("preparation_id IS NOT NULL"),
        )


def downgrade() -> None:
    # Reminders still held are dropped: the code before sweeps the day at the reminder time.
    op.execute("DELETE FROM outbox WHERE preparation_id IS NOT NULL AND sent_at IS NULL")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_preparation_id")
        batch_op.drop_column("preparation_id")
    op.drop_table("reminder_preparations")
