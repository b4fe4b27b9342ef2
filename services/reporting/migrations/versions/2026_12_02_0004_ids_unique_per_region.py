"""Activity, visit and employee ids unique per region: another region's use of an id is neither
refused nor revealed, and read models keep each region's object under a shared id.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from shared.migrations import key_by_region

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    key_by_region("activities", ("activity_id",))
    key_by_region("activity_evidence", ("activity_id", "sha256"))
    key_by_region("field_visits", ("visit_id",))
    key_by_region("team_members", ("employee_id",))
    key_by_region("plan_indicators", ("indicator_id",))


def downgrade() -> None:
    raise NotImplementedError("ids shared by two regions cannot be keyed by the id alone again")
