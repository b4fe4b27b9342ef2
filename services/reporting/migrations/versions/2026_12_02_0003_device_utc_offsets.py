"""The UTC offset a device sent an activity's and a visit's time with (kept, shown again).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "activities",
        sa.Column("occurred_utc_offset", sa.SmallInteger, comment="Device offset of occurred_at, minutes."),
    )
    op.add_column(
        "field_visits",
        sa.Column("visited_utc_offset", sa.SmallInteger, comment="Device offset of visited_at, minutes."),
    )


def downgrade() -> None:
    op.drop_column("field_visits", "visited_utc_offset")
    op.drop_column("activities", "occurred_utc_offset")
