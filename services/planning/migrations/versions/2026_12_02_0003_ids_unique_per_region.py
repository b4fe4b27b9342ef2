"""Employee ids unique per region: another region's use of an id is neither refused nor revealed.

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
    key_by_region("employee_assignments", ("employee_id", "effective_from"))
    op.drop_constraint("uq_work_plans_employee_id_year_version", "work_plans", type_="unique")
    op.create_unique_constraint(
        "uq_work_plans_region_id_employee_id_year_version",
        "work_plans",
        ["region_id", "employee_id", "year", "version"],
    )


def downgrade() -> None:
    raise NotImplementedError("ids shared by two regions cannot be keyed by the id alone again")
