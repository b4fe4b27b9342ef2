"""Unit rollups: each unit's dashboard figures per period, kept as its employee summaries change.

The unit and region dashboards aggregated a unit's summaries on every read (issue #18); the
rollup rows are recomputed by the summary refresh instead (service_layer/rollups.py). They are
filled here from the summaries already stored, so an upgraded deployment reads them at once, by
the statement rollups.py recomputes them with at this revision (a migration keeps its own copy:
later revisions of the module may read columns this schema does not have yet). Row-level security
is added by ``secure_schema`` after the migration, as for every region table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


#: Predicates best first, and the statement of service_layer/rollups.py over every summary.
_BEST_FIRST = ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")
_COUNTS = ", ".join(f"'{p}', count(*) FILTER (WHERE live_predicate = '{p}')" for p in _BEST_FIRST)
_ORDER = "ARRAY[" + ", ".join(f"'{p}'" for p in _BEST_FIRST) + "]"
_FILL = f"""
INSERT INTO unit_rollups
    (region_id, unit_id, period, employees, measured, achievement_sum, decided, predicate_counts, ranking)
SELECT region_id, unit_id, period,
       count(*), count(achievement), sum(achievement), count(nullif(predicate, '')),
       jsonb_build_object({_COUNTS}),
       jsonb_agg(jsonb_build_object(
           'rank', rank, 'employee_id', employee_id, 'job_type', job_type, 'rater_id', rater_id,
           'predicate', live_predicate, 'achievement', achievement::text
       ) ORDER BY rank)
FROM (
    SELECT m.*, row_number() OVER (
        PARTITION BY m.region_id, m.unit_id, m.period
        ORDER BY array_position({_ORDER}, coalesce(m.live_predicate, 'SANGAT_KURANG')),
                 m.achievement IS NULL, m.achievement DESC, m.employee_id COLLATE "C"
    ) AS rank
    FROM (
        SELECT region_id, unit_id, period, employee_id, job_type, rater_id, achievement, predicate,
               coalesce(nullif(predicate, ''), nullif(proposed_predicate, '')) AS live_predicate
        FROM employee_scores
    ) AS m
) AS ranked
GROUP BY region_id, unit_id, period
"""


def upgrade() -> None:
    op.create_table(
        "unit_rollups",
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("employees", sa.Integer, nullable=False),
        sa.Column("measured", sa.Integer, nullable=False),
        sa.Column("achievement_sum", sa.Numeric),
        sa.Column("decided", sa.Integer, nullable=False),
        sa.Column("predicate_counts", JSONB, nullable=False),
        sa.Column("ranking", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("region_id", "unit_id", "period", name="pk_unit_rollups"),
    )
    op.execute("SELECT set_config('app.all_regions', 'on', true)")
    op.execute(_FILL)


def downgrade() -> None:
    op.drop_table("unit_rollups")
