"""One line of history again: the scheduler, attendance follow-up and privacy branches merge.

Revision ID: 0005_merge
Revises: 0003_followup, 0003_scheduler, 0004_encryption
Create Date: 2026-11-27
"""

from collections.abc import Sequence

revision: str = "0005_merge"
down_revision: str | Sequence[str] | None = ("0003_followup", "0003_scheduler", "0004_encryption")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
