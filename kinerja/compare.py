"""How a rebuilt copy of a service's views compares with the live one: counts, and the rows that differ.

Rows are compared by every column that says something (how and when a row was built aside). For a
table that differs, the first rows that differ are named by their primary key, with each column whose
value differs, so an operator sees what a swap would change without querying both schemas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db import see_all_regions

#: Tables of the messaging runtime and of Alembic, and scoring's day of dated moves done (a rebuild
#: computes with today's assignments; its first pass then finds nothing to change): bookkeeping, not views.
NOT_VIEWS = frozenset({"alembic_version", "outbox", "processed_events", "audit_log", "assignments_applied"})

#: Columns that record how and when a row was built rather than what it says: a rebuild writes at
#: another time and may interleave topics differently, so these differ by nature.
BUILD_RECORD_COLUMNS = frozenset(
    {"created_at", "updated_at", "processed_at", "applied_at", "last_event_id", "events_applied"}
)

#: Differing rows named per table (the counts say how many there are in all).
DIFFERENCES_SHOWN = 5


@dataclass(frozen=True)
class RowDifference:
    """One row that differs: its key, and its content on each side (None: the row is not there)."""

    key: dict[str, Any]
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None

    @property
    def columns(self) -> dict[str, tuple[Any, Any]]:
        """The columns whose values differ, as (live, rebuilt); empty when the row is on one side only."""
        if self.live is None or self.rebuilt is None:
            return {}
        return {
            name: (value, self.rebuilt.get(name))
            for name, value in self.live.items()
            if value != self.rebuilt.get(name)
        }

    def render(self) -> str:
        key = " ".join(f"{name}={value}" for name, value in self.key.items())
        if self.live is None:
            return f"  {key}: only rebuilt"
        if self.rebuilt is None:
            return f"  {key}: only live"
        changed = "; ".join(f"{name}: live {a}, rebuilt {b}" for name, (a, b) in self.columns.items())
        return f"  {key}: {changed}"


@dataclass(frozen=True)
class TableComparison:
    """How one view table of the rebuild compares with the live one."""

    table: str
    live_rows: int
    rebuilt_rows: int
    only_live: int
    only_rebuilt: int
    differences: tuple[RowDifference, ...] = field(default=())

    @property
    def equal(self) -> bool:
        return self.only_live == 0 and self.only_rebuilt == 0


async def compare(
    engine: AsyncEngine, live_schema: str, rebuilt_schema: str, *, region: str | None = None
) -> list[TableComparison]:
    """Row-by-row comparison of every view table (write times aside), optionally of one region only."""
    comparisons = []
    async with engine.begin() as connection:
        await see_all_regions(connection)
        tables = (
            await connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = :schema AND table_type = 'BASE TABLE' ORDER BY table_name"
                ),
                {"schema": live_schema},
            )
        ).scalars()
        for table in [name for name in tables if name not in NOT_VIEWS]:
            comparisons.append(await _compare_table(connection, live_schema, rebuilt_schema, table, region))
    return comparisons


async def _compare_table(
    connection: AsyncConnection, live_schema: str, rebuilt_schema: str, table: str, region: str | None
) -> TableComparison:
    columns = (
        await connection.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = :schema AND table_name = :table ORDER BY ordinal_position"
            ),
            {"schema": live_schema, "table": table},
        )
    ).scalars()
    compared = ", ".join(f'"{c}"' for c in columns if c not in BUILD_RECORD_COLUMNS)
    live, rebuilt = f'"{live_schema}"."{table}"', f'"{rebuilt_schema}"."{table}"'
    if region is not None:
        # Every view table carries region_id (row-level security insists); a quoted literal.
        only = "'" + region.replace("'", "''") + "'"
        live = f"(SELECT * FROM {live} WHERE region_id = {only}) AS live"
        rebuilt = f"(SELECT * FROM {rebuilt} WHERE region_id = {only}) AS rebuilt"
    only_live = f"SELECT {compared} FROM {live} EXCEPT ALL SELECT {compared} FROM {rebuilt}"
    only_rebuilt = f"SELECT {compared} FROM {rebuilt} EXCEPT ALL SELECT {compared} FROM {live}"

    async def scalar(sql: str) -> int:
        return int((await connection.execute(text(sql))).scalar_one())

    comparison = TableComparison(
        table=table,
        live_rows=await scalar(f"SELECT count(*) FROM {live}"),
        rebuilt_rows=await scalar(f"SELECT count(*) FROM {rebuilt}"),
        only_live=await scalar(f"SELECT count(*) FROM ({only_live}) AS d"),
        only_rebuilt=await scalar(f"SELECT count(*) FROM ({only_rebuilt}) AS d"),
    )
    if comparison.equal:
        return comparison
    key = await _primary_key(connection, live_schema, table)
    if key:
        # A row on both sides with other values is one difference, paired by its key.
        on = " AND ".join(f'l."{c}" = r."{c}"' for c in key)
        order = ", ".join(f'coalesce(l."{c}", r."{c}")' for c in key)
        differing = (
            f"WITH l AS ({only_live}), r AS ({only_rebuilt}) "
            f"SELECT to_jsonb(l)::text, to_jsonb(r)::text FROM l FULL JOIN r ON {on} "
            f"ORDER BY {order} LIMIT {DIFFERENCES_SHOWN}"
        )
    else:
        differing = (
            f"(SELECT to_jsonb(l)::text, NULL FROM ({only_live}) AS l LIMIT {DIFFERENCES_SHOWN}) UNION ALL "
            f"(SELECT NULL, to_jsonb(r)::text FROM ({only_rebuilt}) AS r LIMIT {DIFFERENCES_SHOWN})"
        )
    differences = []
    for live_row, rebuilt_row in (await connection.execute(text(differing))).all():
        # Exact numbers, as stored: a float could hide the difference it is meant to show.
        sides = [
            None if row is None else json.loads(row, parse_float=Decimal) for row in (live_row, rebuilt_row)
        ]
        either = sides[0] if sides[0] is not None else sides[1]
        assert either is not None
        shown = key or list(either)
        differences.append(RowDifference({c: either[c] for c in shown}, sides[0], sides[1]))
    return TableComparison(
        comparison.table,
        comparison.live_rows,
        comparison.rebuilt_rows,
        comparison.only_live,
        comparison.only_rebuilt,
        tuple(differences[:DIFFERENCES_SHOWN]),
    )


async def _primary_key(connection: AsyncConnection, schema: str, table: str) -> list[str]:
    """The table's primary-key columns, in the key's order (empty when it has none)."""
    return list(
        (
            await connection.execute(
                text(
                    "SELECT k.column_name FROM information_schema.table_constraints AS t "
                    "JOIN information_schema.key_column_usage AS k "
                    "ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name "
                    "AND k.table_name = t.table_name "
                    "WHERE t.table_schema = :schema AND t.table_name = :table "
                    "AND t.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position"
                ),
                {"schema": schema, "table": table},
            )
        ).scalars()
    )
