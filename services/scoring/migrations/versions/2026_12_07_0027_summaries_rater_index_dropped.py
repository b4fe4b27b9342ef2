"""The summaries' index by rater, which nothing reads, is dropped.

``ix_employee_scores_region_id_rater_id_period`` has no reader: no statement selects summaries by
their rater (a rater's team reads the unit's ranking entries and filters them by ``rater_id``; the
scorecard's team check reads the summary by its key; ratings read ``rating_decisions``). Every
summary inserted wrote an entry into it, and every summary whose rater changed another: the
refresh of a quick rebuild costs PostgreSQL 12,527-12,572M -> 12,266M instructions (callgrind of
every backend, ``bench.scoring_rebuild --quick``; bench/README.md, session 37).

Dropped ``CONCURRENTLY`` (reads and writes go on); the downgrade builds it again the same way, with
0026's class.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_INDEX = "ix_employee_scores_region_id_rater_id_period"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_INDEX}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {_INDEX} ON employee_scores "
            "(region_id text_pattern_ops, rater_id text_pattern_ops, period text_pattern_ops)"
        )
