"""Pupils' names become encrypted text (longer than the names themselves).

The other encrypted columns were already TEXT. Values written before encryption was switched
on are read as they are until `apbot migrate` (or `apbot rotate-key`) encrypts them.

Revision ID: 0004_encryption
Revises: 0003_privacy
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_encryption"
down_revision: str | None = "0003_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.alter_column("first_name", type_=sa.Text(), existing_nullable=False)
        batch_op.alter_column("last_name", type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.alter_column("first_name", type_=sa.String(length=100), existing_nullable=False)
        batch_op.alter_column("last_name", type_=sa.String(length=100), existing_nullable=False)
