"""Keys as SQL parameters: one parameter however many keys, so statements stay the same.

The views are refreshed for a batch's keys at once; passing them as one parameter keeps the
statement text (and its prepared plan) identical whatever the batch size, and ``per_key`` makes each
key an index look-up whatever the planner's statistics say. The statements a batch runs are built
once, the keys their parameter (``keys_table``): building a statement again for every batch, and
SQLAlchemy's work for a statement object it has not seen (its cache key, its result columns), cost
more than the statement's execution when batches are small.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    Integer,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.sql import Select

from shared.json_rows import json_array_rows, value_at


def array_of(values: Iterable[Any], item_type: Any) -> Any:
    """A list as one array parameter (``= ANY(...)``, ``unnest(...)``)."""
    # One array parameter however many keys: the statement text (and its prepared plan) stays the same.
    return literal(list(values), ARRAY(item_type))


def keys_table(name: str, columns: dict[str, Any]) -> Any:
    """Keys as a table ``name(column, ...)`` to join view rows to, from the one parameter ``keys``.

    A statement built once is executed with ``{"keys": key_rows(keys)}``, each key a tuple of the
    columns' values in order. The keys travel as one JSON text that orjson writes in C from the
    tuples as they are; arrays (one a column) had asyncpg check every element against the abstract
    collection classes, two Python calls each, and had the callers split the keys into columns.
    ``jsonb``: each column is then a direct look-up in its row, not a parse of the row's text.

    ``OFFSET 0`` keeps the keys a table of their own, its columns plain values as ``unnest``'s:
    flattened, each look-up compared the view's column with the expression ``key ->> n``, and on
    tables not yet analyzed (the consumer's first minutes) the planner then found a scan of the
    region's rows by the primary key as cheap as the key's index, and chose it (EXPLAIN ANALYZE on
    the consumer bench's data: the plans in force 1-3 ms -> 110-200 ms for 418 employees).
    The planner takes any number of keys for 100 (``unnest`` of a parameter: its length, or 10):
    join the keys per key (``per_key``), not plainly: a plain join to a few keys was planned as a
    hash join over a scan of the region's rows (rollups' ``DELETE ... USING`` keys, analyzed
    tables: 0.09 -> 0.9 ms for 3 keys of 2,500 rows).
    """
    rows = json_array_rows("keys", f"{name}_rows")
    return (
        select(
            *(
                value_at(rows, position, item_type).label(label)
                for position, (label, item_type) in enumerate(columns.items())
            )
        )
        .select_from(rows)
        .offset(literal_column("0", Integer()))  # a constant, not a parameter: a plan knows it
        .subquery(name)
    )


def key_rows(keys: Sequence[tuple[Any, ...]]) -> str:
    """The ``keys`` parameter of a ``keys_table``: each key a tuple of its columns' values."""
    return orjson.dumps(keys).decode()


def per_key(keys: Any, query: Select[Any], name: str) -> Select[Any]:
    """``query`` (correlated to ``keys``) run once per key: ``keys CROSS JOIN LATERAL (query)``.

    Each key is then an index look-up whatever the planner's statistics say. Without this, tables
    the consumer has just filled (a rebuild, a new deployment) are planned as near-empty, and a
    join to the keys became a scan of the region's rows (a nested loop of them, in the worst case)
    per batch. ``OFFSET 0`` keeps PostgreSQL from flattening the subquery back into a plain join.
    """
    lateral = query.offset(0).lateral(name)
    return select(lateral).select_from(keys).join(lateral, true())
