"""A placement can be withdrawn before it starts, and records when it was ended or withdrawn;
an automatic chronology entry is written by the system (no person), so its author may be empty.

Revision ID: 0011_placement_lifecycle
Revises: 0010_attendance_truth
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations.rebuild import foreign_keys_off

revision: str = "0011_placement_lifecycle"
down_revision: str | None = "0010_attendance_truth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _status(*values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name="placement_status",
        native_enum=False,
        create_constraint=True,
        length=32,
    )


OLD = ("draft", "active", "ended")
NEW = (*OLD, "withdrawn")


def upgrade() -> None:
    # Other tables point at `placements` and `chronology`: on SQLite the rebuilds need foreign
    # keys off.
    with foreign_keys_off("placements"), op.batch_alter_table("placements") as batch_op:
        batch_op.alter_column(
            "status", type_=_status(*NEW), existing_type=_status(*OLD), existing_nullable=False
        )
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
    # Placements ended before this version: closed at the start of their last day (the
    # instant was not kept; the audit log has it).
    op.execute("UPDATE placements SET closed_at = ended_on WHERE status = 'ended'")
    with foreign_keys_off("chronology"), op.batch_alter_table("chronology") as batch_op:
        batch_op.alter_column("recorded_by_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # System entries have no person; a downgrade cannot invent one, so it keeps them out of
    # the way by failing loudly rather than dropping them.
    with foreign_keys_off("chronology"), op.batch_alter_table("chronology") as batch_op:
        batch_op.alter_column("recorded_by_id", existing_type=sa.Integer(), nullable=False)
    op.execute("UPDATE placements SET status = 'ended' WHERE status = 'withdrawn'")
    with foreign_keys_off("placements"), op.batch_alter_table("placements") as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.alter_column(
            "status", type_=_status(*OLD), existing_type=_status(*NEW), existing_nullable=False
        )
