"""Why the pupil is in AP, and the pupil's preferred name.

A placement records its reason (suspension, permanent exclusion, direction off-site, health
needs, EHC plan, other) with what the reason needs: the first day of a suspension or
exclusion, a suspension's length in school days, the sixth school day (from which full-time
education must be in place) and, for "other", a short description (sealed, like objectives).
Placements started before this have no reason (NULL); new ones always have one.

A pupil's preferred name (from the MIS export) is kept sealed like the legal names.

Revision ID: 0025_reason_for_ap
Revises: 0024_workspace_links
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations.rebuild import foreign_keys_off

revision: str = "0025_reason_for_ap"
down_revision: str | None = "0024_workspace_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASON = sa.Enum(
    "suspension",
    "permanent_exclusion",
    "off_site_direction",
    "medical",
    "ehc_plan",
    "other",
    name="reason_for_ap",
    native_enum=False,
    create_constraint=True,
    length=32,
)


def upgrade() -> None:
    # The CHECK constraint makes SQLite rebuild the table; other tables point at both.
    with foreign_keys_off("placements"), op.batch_alter_table("placements") as batch_op:
        batch_op.add_column(sa.Column("reason", REASON, nullable=True))
        batch_op.add_column(sa.Column("reason_first_day", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("suspension_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("full_time_education_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reason_detail", sa.Text(), nullable=True))
    with op.batch_alter_table("pupils") as batch_op:
        batch_op.add_column(sa.Column("preferred_name", sa.Text(), nullable=True))


def downgrade() -> None:
    with foreign_keys_off("pupils"), op.batch_alter_table("pupils") as batch_op:
        batch_op.drop_column("preferred_name")
    with foreign_keys_off("placements"), op.batch_alter_table("placements") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_placements_reason_for_ap"), type_="check")
        batch_op.drop_column("reason_detail")
        batch_op.drop_column("full_time_education_from")
        batch_op.drop_column("suspension_days")
        batch_op.drop_column("reason_first_day")
        batch_op.drop_column("reason")
