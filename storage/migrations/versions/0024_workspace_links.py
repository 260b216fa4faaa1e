"""Workspaces and tenants belong to organisations: each Slack workspace (or Enterprise Grid
organisation) and each Microsoft 365 tenant mapped to the organisation(s) whose people use it.

Revision ID: 0024_workspace_links
Revises: 0023_slack_installations
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_workspace_links"
down_revision: str | None = "0023_slack_installations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_workspace_links_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_workspace_links_created_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_links")),
        sa.UniqueConstraint(
            "platform",
            "external_id",
            "organisation_id",
            name="uq_workspace_links_platform_external_id_organisation_id",
        ),
    )
    with op.batch_alter_table("workspace_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workspace_links_platform_external_id", ["platform", "external_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workspace_links_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("workspace_links")
