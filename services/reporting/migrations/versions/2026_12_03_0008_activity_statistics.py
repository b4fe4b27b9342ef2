"""Activities are analyzed only in the columns reporting's queries filter and sort by.

The table grows by every report; autovacuum analyzes it at each tenth of growth, and the analyzes
cost the whole platform's soak about as much PostgreSQL time as inserting the activities did (49.9
µs an activity, bench/README.md, session 11). Most of an ANALYZE went to statistics nothing reads:
sorting the descriptions' text and the numbers no query compares. Without them an ANALYZE of
209,000 activities cost 0.12-0.15 s of CPU instead of 0.27 s (session 12). The columns queries
filter, join or sort by (ids, employee, indicator, status, time) keep their statistics.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: Columns of ``activities`` that no query of reporting's filters, joins or sorts by.
UNREAD_BY_PLANS = (
    "plan_id",
    "result_id",
    "occurred_utc_offset",
    "quantity",
    "denominator",
    "description",
    "obstacles",
    "latitude",
    "longitude",
    "review_note",
    "reviewed_by",
    "submitted_at",
    "reviewed_at",
    "revision",
)


def _set_statistics(target: int) -> None:
    # One statement: the table's lock is taken once.
    changes = ", ".join(f"ALTER COLUMN {column} SET STATISTICS {target}" for column in UNREAD_BY_PLANS)
    op.execute(f"ALTER TABLE activities {changes}")


def upgrade() -> None:
    _set_statistics(0)


def downgrade() -> None:
    _set_statistics(-1)
