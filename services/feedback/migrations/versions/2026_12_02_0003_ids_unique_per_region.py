"""Read models keyed by region: planning's employee ids and reporting's activity ids are unique per
region only, so each region's object is kept under a shared id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

from shared.migrations import key_by_region

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    key_by_region("employees", ("employee_id",))
    key_by_region("activities", ("activity_id",))
    op.drop_constraint(
        "uq_behaviour_assessments_employee_id_period_assessor_id", "behaviour_assessments", type_="unique"
    )
    op.create_unique_constraint(
        "uq_behaviour_assessments_per_region",
        "behaviour_assessments",
        ["region_id", "employee_id", "period", "assessor_id"],
    )


def downgrade() -> None:
    raise NotImplementedError("ids shared by two regions cannot be keyed by the id alone again")
