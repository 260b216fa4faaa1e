"""Sealed fields: more free text and identifiers are encrypted at rest, and a key check.

QA visit actions, contact summaries, checklist evidence and not-applicable reasons, a
placement's objectives, return plan, welfare-call arrangements, other providers and
reintegration notes were already TEXT; a pupil's UPN (VARCHAR(13)) and a conversation
reference (JSON, which kept a copy of the last Slack question) become TEXT to hold ciphertext.
`key_canary` holds one known value encrypted under the current key, so the bot can tell at
start and in /healthz whether its key opens the data.

The rows already there are encrypted by `apbot migrate` right after this migration (as for
0004 and 0006: migrations do not hold the key); until then they are read as they are.
Downgrading needs the values in plain text again (there is no way back from ciphertext here).

Revision ID: 0015_sealed_fields
Revises: 0013_teams_identity
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations.rebuild import foreign_keys_off

revision: str = "0015_sealed_fields"
down_revision: str | None = "0013_teams_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _upn_type(new: sa.types.TypeEngine[str], old: sa.types.TypeEngine[str]) -> None:
    # Other tables point at `pupils`: on SQLite the rebuild needs foreign keys off.
    with foreign_keys_off("pupils"), op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.alter_column("upn", type_=new, existing_type=old, existing_nullable=True)


def upgrade() -> None:
    _upn_type(sa.Text(), sa.String(length=13))
    with op.batch_alter_table("conversation_refs", schema=None) as batch_op:
        batch_op.alter_column(
            "reference",
            type_=sa.Text(),
            existing_type=sa.JSON(),
            existing_nullable=False,
            postgresql_using="reference::text",
        )
    op.create_table(
        "key_canary",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_canary")),
    )


def downgrade() -> None:
    op.drop_table("key_canary")
    with op.batch_alter_table("conversation_refs", schema=None) as batch_op:
        batch_op.alter_column(
            "reference",
            type_=sa.JSON(),
            existing_type=sa.Text(),
            existing_nullable=False,
            postgresql_using="reference::json",
        )
    _upn_type(sa.String(length=13), sa.Text())
