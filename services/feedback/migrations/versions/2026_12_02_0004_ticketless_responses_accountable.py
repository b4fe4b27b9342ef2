"""Survey responses without a ticket are accountable: their pseudonymous origin is kept, and the
running sums keep ticketed responses apart (the index counts only those where tickets are used).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from shared.db import ALL_REGIONS_SETTING

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ZERO_SUMS = sa.text("'{0,0,0,0,0,0,0,0,0}'")


def upgrade() -> None:
    op.add_column("survey_responses", sa.Column("address_hash", sa.String(64)))
    op.add_column("survey_responses", sa.Column("device_hash", sa.String(64)))
    op.add_column(
        "survey_aggregates",
        sa.Column("ticketed_respondents", sa.Integer, nullable=False, server_default="0"),
    )
    op.add_column(
        "survey_aggregates",
        sa.Column("ticketed_score_sums", sa.ARRAY(sa.Integer), nullable=False, server_default=ZERO_SUMS),
    )
    # The sums of the ticketed responses already received, item by item, in every region (the
    # owner, too, is fenced by row-level security).
    op.execute(f"SET LOCAL {ALL_REGIONS_SETTING} = 'on'")
    op.execute(
        """
        WITH ticketed AS (
            SELECT region_id, unit_id, service_id, period, scores
            FROM survey_responses WHERE ticket_code IS NOT NULL
        ), per_item AS (
            SELECT region_id, unit_id, service_id, period, score.position, sum(score.value)::int AS item_sum
            FROM ticketed, unnest(ticketed.scores) WITH ORDINALITY AS score(value, position)
            GROUP BY region_id, unit_id, service_id, period, score.position
        ), sums AS (
            SELECT region_id, unit_id, service_id, period, array_agg(item_sum ORDER BY position) AS sums
            FROM per_item GROUP BY region_id, unit_id, service_id, period
        ), counts AS (
            SELECT region_id, unit_id, service_id, period, count(*)::int AS respondents
            FROM ticketed GROUP BY region_id, unit_id, service_id, period
        )
        UPDATE survey_aggregates AS aggregate
        SET ticketed_respondents = counts.respondents, ticketed_score_sums = sums.sums
        FROM counts JOIN sums USING (region_id, unit_id, service_id, period)
        WHERE aggregate.region_id = counts.region_id AND aggregate.unit_id = counts.unit_id
          AND aggregate.service_id = counts.service_id AND aggregate.period = counts.period
        """
    )


def downgrade() -> None:
    op.drop_column("survey_aggregates", "ticketed_score_sums")
    op.drop_column("survey_aggregates", "ticketed_respondents")
    op.drop_column("survey_responses", "device_hash")
    op.drop_column("survey_responses", "address_hash")
