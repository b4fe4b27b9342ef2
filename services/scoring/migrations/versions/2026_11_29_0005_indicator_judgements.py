"""The rater's judgements of qualitative indicators (penilaian atasan).

A qualitative target ("Berkas diterima tanpa revisi") has no formula: the rater decides. The
judgement is written through the API, one per employee, indicator and period, and the summary
refresh reads it, so it is kept (not rebuilt) when the views are replayed. Row-level security is
applied to it with every region_id table after migrating.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_judgements",
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("judgement", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("rater_id", sa.String(64), nullable=False),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint(
            "region_id", "employee_id", "period", "indicator_id", name="pk_indicator_judgements"
        ),
    )


def downgrade() -> None:
    op.drop_table("indicator_judgements")
