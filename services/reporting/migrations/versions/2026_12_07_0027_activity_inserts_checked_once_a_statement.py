"""An inserted activity's region is checked against the transaction's region read once a statement.

The region policy (``shared.migrations``' ``region_isolation``) checks every inserted row with
``current_setting`` of the transaction's region, called again for each row: a look-up of the
setting by name and a copy of its text, ~880 instructions of a batch item's ~75,800 (a batch
inserts 500 rows in one statement). This policy admits an inserted row when its region is that
setting read once, an ``InitPlan`` of the statement: a comparison a row.

It admits no row the region policy refuses (the same comparison as the region policy's first
half, PostgreSQL's ``current_setting`` being stable within a statement), and permissive policies
admit a row when one of them does: the rows admitted stay the same. A row it does not admit (no
region set: system work, which sees all regions) is checked by the region policy as before.
PostgreSQL evaluates a table's permissive policies by their names in descending order (its relcache
lists them so), this one first: a name after ``region_isolation``. A batch's write costs PostgreSQL
1.2% fewer instructions (75,822 -> 74,901 an item; bench/README.md, session 38).

For inserts only: reads and updates keep the region policy alone. Creating a policy takes the
table's ``ACCESS EXCLUSIVE`` lock for an instant (a catalog change, no rewrite), queued behind the
transactions open on it, as 0023's key did (deploy/README.md).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from alembic import op

from shared.db import REGION_SETTING

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

#: After ``region_isolation`` by name, so evaluated before it.
POLICY = "region_isolation_of_inserts"


def upgrade() -> None:
    op.execute(
        f"CREATE POLICY {POLICY} ON activities FOR INSERT "
        f"WITH CHECK (region_id = (SELECT current_setting('{REGION_SETTING}', true)))"
    )


def downgrade() -> None:
    op.execute(f"DROP POLICY {POLICY} ON activities")
