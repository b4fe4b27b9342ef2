"""How view rows store numbers and stamps, and when a recomputed row need not be written."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from sqlalchemy import Table, tuple_
from sqlalchemy.dialects.postgresql import Insert

from services.scoring.service_layer.memo import Memo
from shared.json_rows import insert_from_json_rows

PLACES = 4
_SCALE = 10**PLACES
#: A stored decimal's last place, as ``Decimal.quantize`` takes it.
_QUANTUM = Decimal(1).scaleb(-PLACES)


def to_decimal(value: Fraction | None, places: int = PLACES) -> Decimal | None:
    """An exact fraction rounded (half even) for storage and display."""
    if value is None:
        return None
    if places != PLACES:
        return _rounded(value, places)
    # Remembered by the fraction's integers (hashing a ``Fraction`` takes a modular inverse): a
    # region's rows round the same targets, shares and achievements again and again. Read by one
    # call of ``as_integer_ratio``, not its two properties' (~0.9k instructions less a call).
    key = value.as_integer_ratio()
    found = _ROUNDED.get(key)
    return _ROUNDED.keep(key, _rounded(value, places)) if found is None else found


#: Fractions rounded for storage (to ``PLACES``), by their integers.
_ROUNDED: Memo[tuple[int, int], Decimal] = Memo(8_192)


def _rounded(value: Fraction, places: int) -> Decimal:
    # Rounded once, in integers: half the time of a decimal division (to 28 digits, then rounded
    # again to the places), which every view row paid several times.
    numerator, denominator = abs(value.numerator), value.denominator
    whole, rest = divmod(numerator * (_SCALE if places == PLACES else 10**places), denominator)
    if 2 * rest > denominator or (2 * rest == denominator and whole & 1):
        whole += 1
    rounded = Decimal(whole).scaleb(-places)
    return rounded.copy_negate() if value.numerator < 0 else rounded


def to_fraction(value: Decimal | None) -> Fraction | None:
    """A stored decimal as an exact fraction."""
    return None if value is None else exact(value)


def exact(value: Decimal) -> Fraction:
    """A decimal at most ``PLACES`` places long (a stored ``numeric`` is; reporting refuses a
    quantity with more, so only another producer's would be rounded here, half even, where
    PostgreSQL rounds a tie away from zero) as an exact fraction, remembered by its text: a progress row's
    totals and the reported quantities are mostly the same few values, and a ``Fraction`` made from
    a ``Decimal`` is checked against the abstract number classes first (fractions are immutable)."""
    # By its text, not the decimal itself: a ``Decimal``'s hash takes a modular power (~4-7k
    # instructions for a stored ``numeric``, six a progress row), its text ~1.2k. Equal decimals
    # of other exponents (``3.0``, ``3.00``) are other entries, of equal fractions. The one memory
    # of both: reported quantities were remembered by their text in front of this one too.
    key = str(value)
    found = _FRACTIONS.get(key)
    if found is None:
        found = Fraction(value)
        if _SCALE % found.denominator:  # more places than stored (not from reporting): rounded
            value = value.quantize(_QUANTUM)
            found = Fraction(value)
        _FRACTIONS.keep(key, found)
        _DECIMALS.keep(id(found), (found, value))
    return found


def decimal_of(value: Fraction) -> Decimal:
    """An exact fraction as a decimal (the same number): the one ``exact`` made it from, if it did.

    Looked up by the fraction's identity, which its entry holds (no other object can have that
    identity meanwhile): an activity's stored quantity is a fraction ``exact`` made, and a division
    of its integers as decimals, through the ``Fraction``'s properties, cost ~3,000 instructions a
    row. The same value in any case; only its exponent may differ (``3.0000`` for ``3``), which the
    ``numeric`` columns and the sums' comparisons do not see.
    """
    kept = _DECIMALS.get(id(value))
    if kept is not None and kept[0] is value:
        return kept[1]
    if value.denominator == 1:  # most quantities are whole: no division then
        return Decimal(value.numerator)
    return Decimal(value.numerator) / Decimal(value.denominator)


#: Exact fractions of stored decimals, by their text.
_FRACTIONS: Memo[str, Fraction] = Memo(4_096)
#: The decimals ``exact`` made fractions from, each with its fraction, by the fraction's identity.
_DECIMALS: Memo[int, tuple[Fraction, Decimal]] = Memo(4_096)


def now() -> datetime:
    """The current instant (one place, so refreshes stamp rows consistently)."""
    return datetime.now(UTC)


#: A view row's stamp, one parameter a statement (the refresh's ``now()``), its place in each row
#: ``None``: as each row's time, orjson wrote it (~1,400 instructions) and PostgreSQL parsed it
#: (``timestamptz_in``, ~3,600) again for every row.
STAMPED = ("updated_at",)


@cache
def insert_new(table: Table, columns: tuple[str, ...]) -> Insert:
    """A view's plain insert of ``insert_from_json_rows`` rows (built once per column set), for rows
    known not to be stored (a rebuild's fresh schema): an upsert looked each row's key up first
    (~17k instructions a progress row), then confirmed its speculative insertion in the WAL."""
    return insert_from_json_rows(table, columns, STAMPED)


@cache
def upsert_when_changed(
    table: Table,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    stamps: tuple[str, ...],
    summed: tuple[str, ...] = (),
) -> Insert:
    """A view's upsert of ``insert_from_json_rows`` rows (built once per column set) that updates a
    stored row only when a column of its content differs: a row that would not change is not
    written, nor its event recorded (its ``stamps`` kept). A ``summed`` column of the new row is
    added to the stored row's (a count of the events applied).

    The stored rows' content is then never read back only to be compared with the new one:
    PostgreSQL compares it.
    """
    statement = insert_from_json_rows(table, columns, STAMPED)
    content = [name for name in columns if name not in (*key, *stamps, *summed)]
    stored = tuple_(*(table.c[name] for name in content))
    new = tuple_(*(statement.excluded[name] for name in content))
    updated: dict[str, Any] = {name: statement.excluded[name] for name in columns if name not in key}
    for name in summed:
        updated[name] = table.c[name] + statement.excluded[name]
    return statement.on_conflict_do_update(
        index_elements=list(key), set_=updated, where=stored.is_distinct_from(new)
    )
