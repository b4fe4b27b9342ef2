"""A process-wide memory of values worth making once, bounded by emptying it when full."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V]):
    """A dict that holds at most ``kept`` values: when full, it is emptied and fills again.

    The views and reads remember what they make again and again (rounded decimals, exact fractions,
    proposals, domain indicators, distribution checks). Emptying rather than evicting the oldest is
    deliberate: each value is cheap to make again, the values a batch or a read needs come back
    within a few look-ups, and a hit stays a plain ``dict.get`` (an ordered eviction would make
    every hit pay for moving its entry).
    """

    __slots__ = ("kept",)

    def __init__(self, kept: int) -> None:
        super().__init__()
        self.kept = kept

    def keep(self, key: K, value: V) -> V:
        """Remember ``value`` by ``key`` (emptying the memory first if it is full) and return it."""
        if len(self) >= self.kept:
            self.clear()
        self[key] = value
        return value
