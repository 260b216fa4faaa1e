"""Where the pupil actually is: a provider's site is its main site, a satellite site or a
subcontracted provider's site (with the subcontractor's name and URN, and a phone number), and
each placement names where the pupil is on each weekday. Sites already recorded are main sites;
placements already recorded have no week until it is given (`where` says so).

Revision ID: 0028_sites_where
Revises: 0027_part_time
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations.rebuild import foreign_keys_off

revision: str = "0028_sites_where"
down_revision: str | None = "0027_part_time"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SITE_KIND = sa.Enum(
    "main",
    "satellite",
    "subcontracted",
    name="site_kind",
    native_enum=False,
    create_constraint=True,
    length=32,
)
DAY_PLACE = sa.Enum(
    "provider",
    "school",
    "none",
    name="day_place",
    native_enum=False,
    create_constraint=True,
    length=32,
)


def upgrade() -> None:
    # The CHECK constraint makes SQLite rebuild the table, which placements point at.
    with foreign_keys_off("sites"), op.batch_alter_table("sites") as batch_op:
        batch_op.add_column(sa.Column("kind", SITE_KIND, nullable=False, server_default="main"))
        batch_op.add_column(sa.Column("subcontractor_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("subcontractor_urn", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
    op.create_table(
        "placement_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.String(length=3), nullable=False),
        sa.Column("place", DAY_PLACE, nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_placement_days_placement_id_placements"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_placement_days_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_days")),
        sa.UniqueConstraint("placement_id", "weekday", name=op.f("uq_placement_days_placement_id")),
    )
    with op.batch_alter_table("placement_days", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_placement_days_placement_id"), ["placement_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("placement_days")
    with foreign_keys_off("sites"), op.batch_alter_table("sites") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_sites_site_kind"), type_="check")
        batch_op.drop_column("phone")
        batch_op.drop_column("subcontractor_urn")
        batch_op.drop_column("subcontractor_name")
        batch_op.drop_column("kind")
