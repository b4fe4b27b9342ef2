"""The team read model keeps every dated assignment, so a move dated later holds only from its date.

The key gains ``effective_from``: one row per employee and date, the newer event's (by
``stamp_at``, ``last_event_id``: shared/read_models.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("pk_employees", "employees", type_="primary")
    op.create_primary_key("pk_employees", "employees", ["region_id", "employee_id", "effective_from"])


def downgrade() -> None:
    raise NotImplementedError("a history of assignments cannot be folded back into one row each")
