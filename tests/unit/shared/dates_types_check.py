"""``standard_zones()`` is read-only to its callers, checked by mypy.

Not a pytest module: ``make typecheck`` (mypy --strict, whose ``warn_unused_ignores`` fails on an
ignore that silences nothing) checks it. The mapping is ``shared.dates``' own dict, handed out
without a copy for a batch's loop: only ``in_standard_zone`` may add a zone, an offset it checked
(one no zone has refused). Each ``type: ignore`` marks a write mypy must refuse; were the mapping
typed as a ``dict`` again, the ignore would silence nothing and mypy fail.
"""

from __future__ import annotations

from datetime import UTC

from shared.dates import standard_zones


def read(offset: int) -> None:
    """Reading is what the mapping is for."""
    zones = standard_zones()
    zone = zones.get(offset)
    known = offset in zones
    del zone, known


def write(offset: int) -> None:
    """A caller's write would skip the offset's check: refused."""
    zones = standard_zones()
    zones[offset] = UTC  # type: ignore[index]
    zones.pop(offset)  # type: ignore[attr-defined]
    zones.clear()  # type: ignore[attr-defined]
