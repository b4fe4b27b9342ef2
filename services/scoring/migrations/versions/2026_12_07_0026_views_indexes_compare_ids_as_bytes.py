"""The views' secondary indexes compare their ids by ``text_pattern_ops``.

A refresh writes an entry into each of them for every progress row, summary and ranking entry it
inserts (a rebuild's refresh inserts every one of them), and every comparison on the way down went
through the column's collation (``bttextcmp``: ``varstr_cmp``, the collation's look-up, ``strcoll``
on copies of both strings): the region (equal at every step), then the employee or unit, then the
period. ``text_pattern_ops`` compares the bytes at once (``bttext_pattern_cmp``), as reporting's
0025 and scoring's 0022 did for the activities' indexes.

Nothing reads these indexes but by equality of their columns (``=``, ``= ANY``: members of the
operator class, byte equality as before, the collation being deterministic): the refresh's progress
rows and stored periods by region and employee, the rollups' summaries and ranking entries by region,
unit and period, the close's and the diagnosis' summaries by region and period (and unit). No query
asks them for the order of their ids: the ranking sorts by its rank key and the id ``COLLATE "C"``,
which no index held. ``ix_employee_scores_region_id_rater_id_period`` has no reader today; it keeps
its columns and takes the class like the others. The primary keys keep the default class (a key's
index must).

Each rebuilt without blocking reads or writes (``rebuild_index_concurrently``; deploy/README.md).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from shared.migrations import rebuild_index_concurrently

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

#: Each index: its table and its key's columns (all ids, all read by equality).
INDEXES = {
    "ix_indicator_progress_region_id_employee_id_period": (
        "indicator_progress",
        ("region_id", "employee_id", "period"),
    ),
    "ix_employee_scores_region_id_unit_id_period": ("employee_scores", ("region_id", "unit_id", "period")),
    "ix_employee_scores_region_id_rater_id_period": ("employee_scores", ("region_id", "rater_id", "period")),
    "ix_unit_ranking_region_id_unit_id_period": ("unit_ranking", ("region_id", "unit_id", "period")),
}


def upgrade() -> None:
    for index, (table, columns) in INDEXES.items():
        as_bytes = ", ".join(f"{column} text_pattern_ops" for column in columns)
        rebuild_index_concurrently(table, index, as_bytes)


def downgrade() -> None:
    for index, (table, columns) in INDEXES.items():
        rebuild_index_concurrently(table, index, ", ".join(columns))
