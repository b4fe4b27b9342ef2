"""What a replay tells: the report of a rebuild and its comparison, and a progress bar per stage."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from kinerja.compare import TableComparison

#: Told how far a replay got: done, total, and of what ("events", then "employees' views").
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReplayReport:
    """What a replay did: events applied, how the rebuilt views compare, whether they were swapped in."""

    service: str
    events: int
    seconds: float
    tables: list[TableComparison]
    swapped_into: str | None = None

    @property
    def equal(self) -> bool:
        return all(table.equal for table in self.tables)

    def render(self) -> str:
        lines = [
            f"{self.service}: {self.events} events replayed in {self.seconds:.1f}s",
            f"{'table':32} {'live':>10} {'rebuilt':>10} {'only live':>10} {'only rebuilt':>12}",
        ]
        for table in self.tables:
            lines.append(
                f"{table.table:32} {table.live_rows:>10} {table.rebuilt_rows:>10} "
                f"{table.only_live:>10} {table.only_rebuilt:>12}"
            )
        for table in self.tables:
            if table.differences:
                lines.append(f"{table.table}: the first {len(table.differences)} differing rows")
                lines.extend(difference.render() for difference in table.differences)
        lines.append("views are equal" if self.equal else "views DIFFER")
        if self.swapped_into:
            lines.append(f"swapped: the rebuild is live; the old views are kept as {self.swapped_into}")
        return "\n".join(lines)


class TerminalProgress:
    """A one-line progress bar per stage on the terminal, ended once its stage is complete."""

    def __init__(self) -> None:
        self._ended: set[str] = set()

    def __call__(self, done: int, total: int, what: str) -> None:
        if what in self._ended:
            return  # the replay reports a finished stage again while it settles
        width = 40
        filled = width if total == 0 else int(width * done / total)
        percent = 100 if total == 0 else 100 * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what} ({percent}%)")
        if done >= total:
            sys.stderr.write("\n")
            self._ended.add(what)
        sys.stderr.flush()
