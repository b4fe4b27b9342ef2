"""Initial feedback schema: units read model, survey responses and aggregates, messaging tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
    )
    op.create_table(
        "survey_responses",
        sa.Column("response_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("scores", sa.ARRAY(sa.Integer), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "survey_aggregates",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("service_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("respondents", sa.Integer, nullable=False),
        sa.Column("score_sums", sa.ARRAY(sa.Integer), nullable=False),
        sa.Column("service_users", sa.Integer),
    )


def downgrade() -> None:
    for table in (
        "survey_aggregates",
        "survey_responses",
        "units",
        "audit_log",
        "processed_events",
        "outbox",
    ):
        op.drop_table(table)
