"""The UTC offset a device sent an activity's and a visit's time with (kept, shown again as sent).

``timestamptz`` keeps the instant and forgets the offset; reporting's events carry it, so scoring
stores it beside the instant, in minutes east of UTC, as reporting does. Rows kept before have none
and read in UTC until a replay rebuilds them from the events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "contributions",
        sa.Column("occurred_utc_offset", sa.SmallInteger, comment="Device offset of occurred_at, minutes."),
    )
    op.add_column(
        "field_visits",
        sa.Column("visited_utc_offset", sa.SmallInteger, comment="Device offset of visited_at, minutes."),
    )


def downgrade() -> None:
    op.drop_column("field_visits", "visited_utc_offset")
    op.drop_column("contributions", "occurred_utc_offset")
