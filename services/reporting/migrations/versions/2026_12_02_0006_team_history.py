"""The team read model keeps every dated assignment, so a move dated later holds only from its date.

One row per employee and ``effective_from`` (the key gains the date), with the stamp of the event
that wrote it: of two events for one date the newer wins (shared/read_models.py). Rows kept before
are stamped at the epoch, so any event delivered again for their date replaces them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import key_by_region

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "team_members",
        sa.Column(
            "stamp_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("'1970-01-01T00:00:00Z'"),
        ),
    )
    op.add_column("team_members", sa.Column("stamp_id", sa.String(64), nullable=False, server_default=""))
    op.alter_column("team_members", "stamp_at", server_default=None)
    op.alter_column("team_members", "stamp_id", server_default=None)
    key_by_region("team_members", ("employee_id", "effective_from"))


def downgrade() -> None:
    raise NotImplementedError("a history of assignments cannot be folded back into one row each")
