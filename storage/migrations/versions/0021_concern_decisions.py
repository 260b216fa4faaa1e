"""A serious concern opens a decision for the DSL: review this placement now.

Revision ID: 0021_concern_decisions
Revises: 0020_contact_with
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_concern_decisions"
down_revision: str | None = "0020_contact_with"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "concern_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("chronology_entry_id", sa.Integer(), nullable=False),
        sa.Column(
            "severity",
            _enum("concern_severity", "unsafe_setting", "disclosure", "pupil_missing"),
            nullable=False,
        ),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column(
            "decision",
            _enum("review_decision", "continue_with_actions", "suspend", "end"),
            nullable=True,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("action_by", sa.Text(), nullable=True),
        sa.Column("action_due", sa.Date(), nullable=True),
        sa.Column("decision_entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chronology_entry_id"],
            ["chronology.id"],
            name=op.f("fk_concern_reviews_chronology_entry_id_chronology"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_entry_id"],
            ["chronology.id"],
            name=op.f("fk_concern_reviews_decision_entry_id_chronology"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"], name=op.f("fk_concern_reviews_decided_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_concern_reviews_placement_id_placements"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"], ["people.id"], name=op.f("fk_concern_reviews_raised_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_reviews")),
        sa.UniqueConstraint(
            "chronology_entry_id", name=op.f("uq_concern_reviews_chronology_entry_id")
        ),
    )
    with op.batch_alter_table("concern_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concern_reviews_placement_id"), ["placement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_concern_reviews_decided_at"), ["decided_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("concern_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_reviews_decided_at"))
        batch_op.drop_index(batch_op.f("ix_concern_reviews_placement_id"))
    op.drop_table("concern_reviews")
