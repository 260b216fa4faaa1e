"""A provider's proposed code on a session: codes that need the school's authorisation are
the school's to set, so a provider's choice of one is kept as a proposal (the session stays N).

Revision ID: 0010_attendance_truth
Revises: 0009_reminder_sweeps
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_attendance_truth"
down_revision: str | None = "0009_reminder_sweeps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attendance") as batch:
        batch.add_column(sa.Column("proposed_code", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendance") as batch:
        batch.drop_column("proposed_code")
