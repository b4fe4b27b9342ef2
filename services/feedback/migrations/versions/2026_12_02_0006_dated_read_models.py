"""Planning's facts kept by the one rule (shared/read_models.py): every dated assignment of an
employee (a move dated later holds only from its date), and each fact's event stamp, so a late or
repeated event never overwrites a newer one. Rows kept before are stamped at the epoch.

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

_EPOCH = sa.text("'1970-01-01T00:00:00Z'")


def _add_stamps(table: str) -> None:
    op.add_column(
        table, sa.Column("stamp_at", sa.DateTime(timezone=True), nullable=False, server_default=_EPOCH)
    )
    op.add_column(table, sa.Column("stamp_id", sa.String(64), nullable=False, server_default=""))
    op.alter_column(table, "stamp_at", server_default=None)
    op.alter_column(table, "stamp_id", server_default=None)


def upgrade() -> None:
    _add_stamps("units")
    _add_stamps("employees")
    # Rows kept before held the latest assignment without its date: dated from the first day served.
    op.add_column(
        "employees", sa.Column("effective_from", sa.Date, nullable=False, server_default="2000-01-01")
    )
    op.alter_column("employees", "effective_from", server_default=None)
    key_by_region("employees", ("employee_id", "effective_from"))


def downgrade() -> None:
    raise NotImplementedError("a history of assignments cannot be folded back into one row each")
