"""Part-time timetables agreed with a parent (time limit, reviews with the pupil and parents).

Revision ID: 0027_part_time
Revises: 0026_placement_changes
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_part_time"
down_revision: str | None = "0026_placement_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "part_time_timetables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("parent_agreed_on", sa.Date(), nullable=False),
        sa.Column("circumstances", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("covered_days", sa.String(length=40), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_part_time_timetables_placement_id_placements"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["people.id"],
            name=op.f("fk_part_time_timetables_created_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_time_timetables")),
    )
    with op.batch_alter_table("part_time_timetables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_part_time_timetables_placement_id"), ["placement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_part_time_timetables_ends_on"), ["ends_on"], unique=False
        )
    op.create_table(
        "part_time_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timetable_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("with_pupil", sa.Boolean(), nullable=False),
        sa.Column("with_parents", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("new_ends_on", sa.Date(), nullable=True),
        sa.Column("next_review_date", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["timetable_id"],
            ["part_time_timetables.id"],
            name=op.f("fk_part_time_reviews_timetable_id_part_time_timetables"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["people.id"],
            name=op.f("fk_part_time_reviews_recorded_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_time_reviews")),
    )
    with op.batch_alter_table("part_time_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_part_time_reviews_timetable_id"), ["timetable_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("part_time_reviews")
    op.drop_table("part_time_timetables")
