"""The contributions' employee index keys the region last and compares its ids as bytes.

A rebuild builds ``ix_contributions_employee`` once every event is applied (``replay_indexes_after``),
on its critical path, and its sort was mostly comparisons of ties: an employee's ~150 entries tie on
the employee, then on the region (the same for all of them), so each comparison located the columns
after it afresh (``nocache_index_getattr``: a column after one of variable width) and compared each
through the collation (``varstr_cmp``, ``strcoll``). Keyed ``(employee_id, indicator_id, year,
period, region_id)``, the region (equal wherever the employee is) is compared last, and
``text_pattern_ops`` compares the ids as bytes (and lets the sort abbreviate the employee's):
building it over 212,000 rows costs PostgreSQL 3,866M -> 2,985M instructions (-23%; callgrind,
bench/README.md, session 34), and each activity's insert descends it with the same cheaper
comparisons.

Nothing reads it but by equality of its columns (the refresh's totals by employee, indicator, year
and period, the scorecard's activities by employee, region and period or year, the rebuild's
employees' indicators by ``employee_id = ANY``: members of the class, byte equality as before, the
collation being deterministic); the order of its ids is never asked of it.

Rebuilt without blocking reads or writes (``rebuild_index_concurrently``; deploy/README.md).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from shared.migrations import rebuild_index_concurrently

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_INDEX = "ix_contributions_employee"


def upgrade() -> None:
    rebuild_index_concurrently(
        "contributions",
        _INDEX,
        "employee_id text_pattern_ops, indicator_id text_pattern_ops, year, period text_pattern_ops, "
        "region_id text_pattern_ops",
    )


def downgrade() -> None:
    rebuild_index_concurrently("contributions", _INDEX, "employee_id, region_id, indicator_id, year, period")
