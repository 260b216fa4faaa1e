"""The school days whose reminders have been queued: the scheduler gathers the day's reminders
once a day instead of every minute.

Revision ID: 0009_reminder_sweeps
Revises: 0008_scale_indexes
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_reminder_sweeps"
down_revision: str | None = "0008_scale_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_sweeps",
        sa.Column("day", sa.Date(), autoincrement=False, nullable=False),
        sa.Column("swept_at", sa.DateTime(), nullable=False),
        sa.Column("instance", sa.String(length=100), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_reminder_sweeps")),
    )


def downgrade() -> None:
    op.drop_table("reminder_sweeps")
