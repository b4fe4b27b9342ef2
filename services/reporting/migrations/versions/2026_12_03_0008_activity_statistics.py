"""Activities are analyzed only in the columns reporting's queries filter and sort by.

The table grows by every report; autovacuum analyzes it at each tenth of growth, and the analyzes
cost the whole platform's soak about as much PostgreSQL time as inserting the activities did (49.9
µs an activity, bench/README.md, session 11). Most of an ANALYZE went to statistics nothing reads:
sorting the descriptions' text and the numbers no query compares. Without them an ANALYZE of
209,000 activities cost 0.12-0.15 s of CPU instead of 0.27 s (session 12). The columns queries
filter, join or sort by (ids, employee, indicator, status, time) keep statistics from a small
sample, as every table that grows by each event does (``shared.migrations.analyze_lightly``; a
database migrated to 0008 before 19:00 on 2026-12-03 keeps the default target on those six).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from shared.migrations import analyze_by_default, analyze_lightly

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: The columns of ``activities`` reporting's queries filter, join or sort by.
READ_BY_QUERIES = ("region_id", "activity_id", "employee_id", "indicator_id", "occurred_at", "status")


def upgrade() -> None:
    analyze_lightly("activities", READ_BY_QUERIES)


def downgrade() -> None:
    analyze_by_default("activities")
