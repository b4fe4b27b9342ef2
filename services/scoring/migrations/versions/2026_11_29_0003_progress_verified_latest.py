"""Progress rows keep which verified activity is the latest, so their totals can be kept incrementally.

``verified_last_quantity`` alone cannot tell whether a withdrawn verification was the latest one; with
its time and activity id the consumer adds and subtracts each activity's change and recomputes a row
from its contributions only when its latest (or latest verified) activity is withdrawn.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("indicator_progress", sa.Column("verified_last_occurred_at", sa.DateTime(timezone=True)))
    op.add_column("indicator_progress", sa.Column("verified_last_activity_id", sa.String(64)))
    # Existing rows: the latest verified contribution, in the order the views use (time, then id).
    op.execute("SELECT set_config('app.all_regions', 'on', true)")
    op.execute(
        """
        UPDATE indicator_progress AS p
        SET (verified_last_occurred_at, verified_last_activity_id) = (
            SELECT c.occurred_at, c.activity_id
            FROM contributions AS c
            WHERE c.region_id = p.region_id
              AND c.employee_id = p.employee_id
              AND c.indicator_id = p.indicator_id
              AND c.reported AND c.status = 'VERIFIED'
              AND CASE WHEN length(p.period) = 4 THEN c.year = p.period::integer ELSE c.period = p.period END
            ORDER BY c.occurred_at DESC, c.activity_id COLLATE "C" DESC
            LIMIT 1
        )
        WHERE p.verified_count > 0
        """
    )


def downgrade() -> None:
    op.drop_column("indicator_progress", "verified_last_activity_id")
    op.drop_column("indicator_progress", "verified_last_occurred_at")
