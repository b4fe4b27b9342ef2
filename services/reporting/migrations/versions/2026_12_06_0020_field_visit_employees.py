"""Field-visit pages read only the visits they show, by index: ``field_visit_employees`` keys each
visit once for each employee it names, and the region's visits get an index by time.

An employee's page (and a rater's, and one member's) found visits by ``employee_ids @> ARRAY[...]``
through a GIN index, but under the forced region policy that operator, not leakproof, may not run
before the policy's filter: PostgreSQL read the region's every visit and sorted them (2,320 buffers
and 19-82 ms a page at 21,450 visits a region, as HR's page, which had no index by time). The new
table is keyed ``(region_id, employee_id, visited_at, visit_id)``, equalities and comparisons that
are leakproof, in a page's order; it replaces the GIN index, which nothing reads any more.

A trigger writes a visit's rows in the statement that inserts the visit (a resent visit inserts
nothing, so writes nothing), whichever process inserts it: a rolling upgrade's old processes too.
The trigger's creation locks out inserts of visits until the migration commits, so the backfill
sees every visit logged before and the trigger every one after.

The region's index is built, and the GIN index dropped, while reads and writes go on
(``rebuild_index_concurrently``, ``DROP INDEX CONCURRENTLY``).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import rebuild_index_concurrently

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_WRITE_EMPLOYEES = """
CREATE FUNCTION field_visit_employees_written() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $written$
BEGIN
    INSERT INTO field_visit_employees (region_id, employee_id, visited_at, visit_id)
    SELECT DISTINCT NEW.region_id, named.employee_id, NEW.visited_at, NEW.visit_id
    FROM unnest(NEW.employee_ids) AS named (employee_id);
    RETURN NULL;
END
$written$
"""


def upgrade() -> None:
    # First, outside the transaction: run again after a failure, these find their work done.
    rebuild_index_concurrently(
        "field_visits", "ix_field_visits_region_time", "region_id, visited_at, visit_id"
    )
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_field_visits_employees")
    op.create_table(
        "field_visit_employees",
        sa.Column("region_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visit_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint(
            "region_id", "employee_id", "visited_at", "visit_id", name="pk_field_visit_employees"
        ),
    )
    op.execute(_WRITE_EMPLOYEES)
    op.execute(
        "CREATE TRIGGER field_visit_employees_written AFTER INSERT ON field_visits"
        " FOR EACH ROW EXECUTE FUNCTION field_visit_employees_written()"
    )
    op.execute("SELECT set_config('app.all_regions', 'on', true)")
    op.execute(
        "INSERT INTO field_visit_employees (region_id, employee_id, visited_at, visit_id)"
        " SELECT DISTINCT v.region_id, named.employee_id, v.visited_at, v.visit_id"
        " FROM field_visits v, unnest(v.employee_ids) AS named (employee_id)"
    )


def downgrade() -> None:
    op.drop_table("field_visit_employees")  # its trigger goes with the function
    op.execute("DROP FUNCTION field_visit_employees_written() CASCADE")
    op.create_index("ix_field_visits_employees", "field_visits", ["employee_ids"], postgresql_using="gin")
    op.drop_index("ix_field_visits_region_time", table_name="field_visits")
