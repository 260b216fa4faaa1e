"""The inbound queue: deliveries acknowledged to Slack or Teams whose turn has not run yet, so
a process killed after the acknowledgement loses nothing (the turn runs after restart, once).

Revision ID: 0022_inbound_queue
Revises: 0021_concern_decisions
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_inbound_queue"
down_revision: str | None = "0021_concern_decisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("sender", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_queue")),
    )
    with op.batch_alter_table("inbound_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_queue_sender"), ["sender"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbound_queue_lease_until"), ["lease_until"], unique=False
        )


def downgrade() -> None:
    op.drop_table("inbound_queue")
