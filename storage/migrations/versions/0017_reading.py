"""Reading the record in chat: where each person is in a long record (`more`), and which
notices the terminal channel has shown whom.

Revision ID: 0017_reading
Revises: 0016_audit_chain
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_reading"
down_revision: str | None = "0016_audit_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reading_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("conversation", sa.String(length=200), nullable=False),
        sa.Column("reading", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_reading_cursors_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_cursors")),
        sa.UniqueConstraint("person_id", "conversation", name=op.f("uq_reading_cursors_person_id")),
    )
    with op.batch_alter_table("reading_cursors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reading_cursors_person_id"), ["person_id"], unique=False
        )
    op.create_table(
        "notice_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_notice_reads_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_notice_reads_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_reads")),
        sa.UniqueConstraint("outbox_id", "person_id", name=op.f("uq_notice_reads_outbox_id")),
    )
    with op.batch_alter_table("notice_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_reads_outbox_id"), ["outbox_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_reads_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_table("notice_reads")
    op.drop_table("reading_cursors")
