"""A Teams user is (tenant id, AAD object id): the tenant is stored with the Teams link.

Links made before this have no tenant; they are not trusted until confirmed by a first contact
from an allowed tenant (storage/services/identity_links.py).

Revision ID: 0013_teams_identity
Revises: 0011_placement_lifecycle
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_teams_identity"
down_revision: str | None = "0011_placement_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("teams_tenant_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("teams_tenant_id")
