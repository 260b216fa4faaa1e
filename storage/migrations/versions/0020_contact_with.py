"""Who a contact was with: the provider, a parent or carer, or the pupil (the guidance asks
for ongoing contact with all three). Every contact logged before this was with the provider.

Revision ID: 0020_contact_with
Revises: 0017_reading
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations.rebuild import foreign_keys_off

revision: str = "0020_contact_with"
down_revision: str | None = "0017_reading"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_WHOM = sa.Enum(
    "provider",
    "parent_carer",
    "pupil",
    name="contact_with",
    native_enum=False,
    create_constraint=True,
    length=32,
)


def upgrade() -> None:
    # The CHECK constraint makes SQLite rebuild the table; the server default fills the rows
    # already there with "provider".
    with foreign_keys_off("contacts"), op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(
            sa.Column("with_whom", WITH_WHOM, nullable=False, server_default="provider")
        )


def downgrade() -> None:
    # Contacts with a parent or carer or the pupil would read as provider contacts (and count
    # as the weekly contact) once the column is gone: they are kept from that by failing.
    bind = op.get_bind()
    others = bind.execute(sa.text("SELECT COUNT(*) FROM contacts WHERE with_whom <> 'provider'"))
    if others.scalar():
        raise RuntimeError(
            "Contacts with parents, carers or pupils are recorded; downgrading would count them "
            "as contacts with the provider."
        )
    with foreign_keys_off("contacts"), op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_contacts_contact_with"), type_="check")
        batch_op.drop_column("with_whom")
