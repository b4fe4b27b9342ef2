"""The activities' employee and region indexes compare their ids by ``text_pattern_ops``.

Each comparison of a text key in a B-tree goes through the column's collation (``bttextcmp``:
``text_cmp``, ``varstr_cmp``, the collation's look-up, then ``memcmp``), "C" or not; about twenty
such comparisons an index descend each inserted activity, equal but for the last steps (an
employee's, a region's entries are together). ``text_pattern_ops`` compares the bytes at once
(``bttext_pattern_cmp``). A batch's write costs PostgreSQL 2.3% fewer instructions
(bench/README.md, session 33).

Nothing reads these indexes but by equality of the ids (``=``, ``= ANY``: members of the operator
class, byte equality as before, the collations being deterministic) and by time within them; the
order of ids, which the class would give byte-wise, is never asked of them. The primary key keeps
the default class (a key's index must; the intake's ``ORDER BY activity_id`` uses it).

Rebuilt without blocking reads or writes (``rebuild_index_concurrently``; deploy/README.md).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from shared.migrations import rebuild_index_concurrently

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_EMPLOYEE, _REGION = "ix_activities_employee_time", "ix_activities_region_time"
_STORAGE = "deduplicate_items = off"


def upgrade() -> None:
    rebuild_index_concurrently(
        "activities",
        _EMPLOYEE,
        "employee_id text_pattern_ops, occurred_at, region_id text_pattern_ops",
        _STORAGE,
    )
    rebuild_index_concurrently("activities", _REGION, "region_id text_pattern_ops, occurred_at")


def downgrade() -> None:
    rebuild_index_concurrently("activities", _EMPLOYEE, "employee_id, occurred_at, region_id", _STORAGE)
    rebuild_index_concurrently("activities", _REGION, "region_id, occurred_at")
