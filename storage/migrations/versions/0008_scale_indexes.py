"""Indexes for the scheduler and the digest at national scale (issue 7): each reads what is
due through an index instead of every placement, mark or message.

Revision ID: 0008_scale_indexes
Revises: 0007_pending_files
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_scale_indexes"
down_revision: str | None = "0007_pending_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_placements_status_next_qa_due", "placements", ["status", "next_qa_due"]),
    ("ix_placements_status_review_date", "placements", ["status", "review_date"]),
    ("ix_placements_status_planned_end_date", "placements", ["status", "planned_end_date"]),
    ("ix_placements_status_absence_deadline", "placements", ["status", "absence_deadline"]),
    ("ix_checklist_items_status_due_date", "checklist_items", ["status", "due_date"]),
    ("ix_contacts_placement_id_contact_date", "contacts", ["placement_id", "contact_date"]),
    ("ix_contacts_contact_date", "contacts", ["contact_date"]),
    ("ix_attendance_status_code_date", "attendance", ["status", "code", "date"]),
    ("ix_outbox_status_due_at", "outbox", ["status", "due_at"]),
    ("ix_outbox_recipient_id_kind_due_at", "outbox", ["recipient_id", "kind", "due_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
