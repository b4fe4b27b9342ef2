"""Read side: a scorecard's activities read from one index, without visiting the table.

A scorecard lists the employee's activities of the period (25 a quarter, 100 a year at
bench/scoring_reads.py's full size). Activities arrive interleaved across employees, so one
employee's rows sit on as many table pages as there are rows: the scorecard read about 100 pages
at random from a 10-million-row table (2.3 GB, far beyond shared_buffers) after finding them in
ix_contributions_key_year. Cold, that was 15 to 21 ms per statement and most of the scorecard's
tail at full size. This index holds every column the scorecard shows, keyed by employee, year and
period, so the read is an index-only scan of a few adjacent leaf pages (6 pages read instead of
102 for a year; 0.7 ms instead of 1.7 ms at the median, measured in the benchmark's database).

The cost is on the write side: one more index on contributions (1.3 GB at 10M rows), and an
update of an included column (status on verification, quantity on correction) can no longer be a
HOT update. Index-only scans also rely on the visibility map, which autovacuum keeps current.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: The columns queries._activities_statement selects and filters on besides the key.
SCORECARD_ACTIVITY_COLUMNS = [
    "occurred_at",
    "activity_id",
    "indicator_id",
    "quantity",
    "denominator",
    "status",
    "measure_corrected",
    "reported",
    "evidence_sha256",
]


def upgrade() -> None:
    op.create_index(
        "ix_contributions_region_id_employee_id_year_period",
        "contributions",
        ["region_id", "employee_id", "year", "period"],
        postgresql_include=SCORECARD_ACTIVITY_COLUMNS,
    )


def downgrade() -> None:
    op.drop_index("ix_contributions_region_id_employee_id_year_period", table_name="contributions")
