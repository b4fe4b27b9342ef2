"""Contributions and the summaries are analyzed from a 3,000-row sample, not 30,000.

ANALYZE samples 300 rows per unit of a table's largest column statistics target (100 by default),
and autovacuum analyzes these tables every few rounds while activities stream in: in the soak at
1,000 activities/s, 40.5 (contributions) and 28.4 µs (employee_scores) of PostgreSQL time an
activity. Their reads go by key (the primary key, the employee-led index of contributions, the
unit and rater indexes of the summaries), which a 3,000-row sample plans as well. Every column of
both tables gets the target, and a column added later must get it too (the largest target sets
the sample; ``test_scoring_statistics_targets`` checks).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: The columns' statistics target: ANALYZE samples 300 rows per unit of it.
STATISTICS_TARGET = 10
TABLES = ("contributions", "employee_scores")


def _set_targets(target: int) -> None:
    connection = op.get_bind()
    for table in TABLES:
        columns = connection.execute(
            sa.text(
                "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:table AS regclass) "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            ),
            {"table": table},
        ).scalars()
        # One statement a table: its lock is taken once.
        op.execute(
            f"ALTER TABLE {table} "
            + ", ".join(f'ALTER COLUMN "{column}" SET STATISTICS {target}' for column in columns)
        )


def upgrade() -> None:
    _set_targets(STATISTICS_TARGET)


def downgrade() -> None:
    _set_targets(-1)  # the server's default_statistics_target
