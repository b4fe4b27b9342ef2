"""What a stream of requests produced: counts by what became of them, latencies, percentiles."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Outcome:
    """What a stream of submissions produced."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed: int = 0
    requests: int = 0
    rejections: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    behind_schedule: int = 0
    elapsed: float = 0.0

    @property
    def activities(self) -> int:
        """Activities sent, whatever became of them."""
        return self.accepted + self.duplicates + self.rejected + self.failed

    @property
    def throughput(self) -> float:
        """Activities sent per second of the run."""
        return self.activities / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        """A latency percentile in seconds (nearest rank)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]

    def summary(self) -> str:
        """A few lines for people."""
        lines = [
            f"activities: {self.activities} in {self.elapsed:.1f}s ({self.throughput:,.0f}/s) "
            f"over {self.requests} requests",
            f"  accepted {self.accepted}, duplicate {self.duplicates}, rejected {self.rejected}, "
            f"failed {self.failed}",
        ]
        if self.rejections:
            lines.append("  rejections: " + ", ".join(f"{k}={v}" for k, v in self.rejections.most_common()))
        if self.latencies:
            lines.append(
                "  latency ms: "
                + ", ".join(f"p{int(q * 100)}={self.percentile(q) * 1000:.1f}" for q in (0.5, 0.9, 0.99))
                + f", max={max(self.latencies) * 1000:.1f}"
            )
        if self.behind_schedule:
            lines.append(
                f"  {self.behind_schedule} requests waited for a free connection "
                "(the target rate was not met)"
            )
        return "\n".join(lines)


def percentiles(values: list[float], fractions: Iterator[float] | tuple[float, ...]) -> list[float]:
    """Nearest-rank percentiles of a list of numbers (for callers outside an Outcome)."""
    probe = Outcome(latencies=values)
    return [probe.percentile(f) for f in fractions]
