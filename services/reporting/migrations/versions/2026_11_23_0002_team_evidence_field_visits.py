"""Team read model, evidence, field visits, and the review columns of activities.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "plan_indicators",
        sa.Column("qualitative", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("activities", sa.Column("reviewed_at", sa.DateTime(timezone=True)))
    op.add_column("activities", sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
    op.create_index("ix_activities_region_time", "activities", ["region_id", "occurred_at", "activity_id"])
    op.create_table(
        "team_members",
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("supervisor_id", sa.String(64)),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
    )
    op.create_index("ix_team_members_supervisor", "team_members", ["region_id", "supervisor_id"])
    op.create_table(
        "activity_evidence",
        sa.Column("activity_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("activity_id", "sha256", name="pk_activity_evidence"),
    )
    op.create_index("ix_activity_evidence_sha256", "activity_evidence", ["region_id", "sha256"])
    op.create_table(
        "field_visits",
        sa.Column("visit_id", sa.String(64), primary_key=True),
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("supervisor_id", sa.String(64), nullable=False),
        sa.Column("employee_ids", ARRAY(sa.String(64)), nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("latitude", sa.Numeric(9, 6)),
        sa.Column("longitude", sa.Numeric(9, 6)),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("follow_up", sa.Text),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        "ix_field_visits_supervisor", "field_visits", ["region_id", "supervisor_id", "visited_at"]
    )
    op.create_index("ix_field_visits_employees", "field_visits", ["employee_ids"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("field_visits")
    op.drop_table("activity_evidence")
    op.drop_table("team_members")
    op.drop_index("ix_activities_region_time", table_name="activities")
    op.drop_column("activities", "revision")
    op.drop_column("activities", "reviewed_at")
    op.drop_column("plan_indicators", "qualitative")
