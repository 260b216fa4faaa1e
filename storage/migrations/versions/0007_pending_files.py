"""Files waiting for a Teams user to accept them (reports and exports).

Revision ID: 0007_pending_files
Revises: 0006_encrypted_json
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_pending_files"
down_revision: str | None = "0006_encrypted_json"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_pending_files_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_files")),
    )
    with op.batch_alter_table("pending_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_files_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pending_files_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pending_files")
