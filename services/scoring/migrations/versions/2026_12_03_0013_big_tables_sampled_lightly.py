"""Contributions and the summaries are analyzed lightly: a small sample, the columns queries read.

ANALYZE samples 300 rows per unit of a table's largest column statistics target (100 by default),
and autovacuum analyzes these tables every few rounds while activities stream in: in the soak at
1,000 activities/s, 40.5 (contributions) and 28.4 µs (employee_scores) of PostgreSQL time an
activity. The columns their queries filter, join or sort by (by key and index) get target 10, a
3,000-row sample that plans them as well; the others, the summaries' two JSON documents above all,
get no statistics (target 0), as reporting's activities have. ANALYZE of 300,000 contributions:
227-247 -> 20-28 ms; of 8,000 summaries: 93-172 -> 6-7 ms (session 12). A column added later must
be given one of the two (``test_tables_sampled_lightly`` checks): one left at the default
would bring the 30,000-row sample back.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from shared.migrations import analyze_by_default, analyze_lightly

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: The columns scoring's queries filter, join or sort by; every other column gets no statistics.
READ_BY_QUERIES = {
    "contributions": (
        "activity_id",
        "region_id",
        "employee_id",
        "indicator_id",
        "year",
        "period",
        "reported",
        "status",
        "occurred_at",
    ),
    "employee_scores": (
        "region_id",
        "employee_id",
        "period",
        "unit_id",
        "rater_id",
        "plan_id",
        "behaviour_assessment_id",
    ),
}


def upgrade() -> None:
    for table, read in READ_BY_QUERIES.items():
        analyze_lightly(table, read)


def downgrade() -> None:
    for table in READ_BY_QUERIES:
        analyze_by_default(table)
