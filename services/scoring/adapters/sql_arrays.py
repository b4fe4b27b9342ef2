"""Keys as SQL arrays: one parameter per column however many keys, so statements stay the same.

The views are refreshed for a batch's keys at once; passing them as arrays keeps the statement text
(and its prepared plan) identical whatever the batch size, and ``per_key`` makes each key an index
look-up whatever the planner's statistics say. The statements a batch runs are built once, with
the arrays as named parameters (``keys_table``): building a statement again for every batch, and
SQLAlchemy's work for a statement object it has not seen (its cache key, its result columns), cost
more than the statement's execution when batches are small.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, bindparam, column, func, literal, select, true
from sqlalchemy.sql import Select


def array_of(values: Iterable[Any], item_type: Any) -> Any:
    """A list as one array parameter (``= ANY(...)``, ``unnest(...)``)."""
    # One array parameter however many keys: the statement text (and its prepared plan) stays the same.
    return literal(list(values), ARRAY(item_type))


def keys_table(name: str, columns: dict[str, Any]) -> Any:
    """Keys as a table, ``unnest(:column, ...) AS name(column, ...)``, to join view rows to.

    Each column (its name, its item type) is one array parameter of the same name: a statement
    built once is executed with ``{column: [value, ...], ...}``, the arrays of equal length.
    """
    return (
        func.unnest(*(bindparam(label, type_=ARRAY(item_type)) for label, item_type in columns.items()))
        .table_valued(*(column(label, item_type) for label, item_type in columns.items()))
        .render_derived(name=name)
    )


def per_key(keys: Any, query: Select[Any], name: str) -> Select[Any]:
    """``query`` (correlated to ``keys``) run once per key: ``keys CROSS JOIN LATERAL (query)``.

    Each key is then an index look-up whatever the planner's statistics say. Without this, tables
    the consumer has just filled (a rebuild, a new deployment) are planned as near-empty, and a
    join to the keys became a scan of the region's rows (a nested loop of them, in the worst case)
    per batch. ``OFFSET 0`` keeps PostgreSQL from flattening the subquery back into a plain join.
    """
    lateral = query.offset(0).lateral(name)
    return select(lateral).select_from(keys).join(lateral, true())
