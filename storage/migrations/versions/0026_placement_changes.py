"""Changing a placement after it starts, with its history; objectives as a list with target
dates and progress at each QA visit; the pupil's own view when the placement ends.

An old placement's free-text objectives become its one objective, with no target date (the
text is copied as stored: it is sealed with the same keyring either way).

Revision ID: 0026_placement_changes
Revises: 0025_reason_for_ap
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations.rebuild import foreign_keys_off

revision: str = "0026_placement_changes"
down_revision: str | None = "0025_reason_for_ap"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "placement_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum(
                "placement_change_kind",
                "timetable",
                "site",
                "planned_end",
                "review_date",
                "absence_deadline",
                "welfare_calls",
                "objectives",
            ),
            nullable=False,
        ),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_placement_changes_placement_id_placements"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["people.id"], name=op.f("fk_placement_changes_changed_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_changes")),
    )
    with op.batch_alter_table("placement_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_placement_changes_placement_id"), ["placement_id"], unique=False
        )

    op.create_table(
        "placement_objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column(
            "status", _enum("objective_status", "open", "achieved", "replaced"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_placement_objectives_placement_id_placements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_objectives")),
    )
    with op.batch_alter_table("placement_objectives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_placement_objectives_placement_id"), ["placement_id"], unique=False
        )

    op.create_table(
        "objective_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column(
            "progress",
            _enum(
                "objective_progress", "not_started", "some_progress", "good_progress", "achieved"
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["placement_objectives.id"],
            name=op.f("fk_objective_reviews_objective_id_placement_objectives"),
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_objective_reviews_placement_id_placements"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["qa_visits.id"], name=op.f("fk_objective_reviews_visit_id_qa_visits")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["people.id"],
            name=op.f("fk_objective_reviews_recorded_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objective_reviews")),
    )
    with op.batch_alter_table("objective_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objective_reviews_objective_id"), ["objective_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_objective_reviews_placement_id"), ["placement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_objective_reviews_visit_id"), ["visit_id"], unique=False
        )

    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pupil_view_at_end", sa.Text(), nullable=True))

    # An old placement's objectives (one sealed text) become its one objective, no target date.
    op.execute(
        "INSERT INTO placement_objectives (placement_id, position, text, target_date, status, "
        "created_at) SELECT id, 1, objectives, NULL, 'open', created_at FROM placements "
        "WHERE objectives IS NOT NULL AND objectives <> ''"
    )


def downgrade() -> None:
    # The placements' objectives text was kept in step with the list, so nothing typed is lost
    # but the target dates and the progress judged at visits.
    with (
        foreign_keys_off("placements"),
        op.batch_alter_table("placements", schema=None) as batch_op,
    ):
        batch_op.drop_column("pupil_view_at_end")
    with op.batch_alter_table("objective_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objective_reviews_visit_id"))
        batch_op.drop_index(batch_op.f("ix_objective_reviews_placement_id"))
        batch_op.drop_index(batch_op.f("ix_objective_reviews_objective_id"))
    op.drop_table("objective_reviews")
    with op.batch_alter_table("placement_objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placement_objectives_placement_id"))
    op.drop_table("placement_objectives")
    with op.batch_alter_table("placement_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placement_changes_placement_id"))
    op.drop_table("placement_changes")
