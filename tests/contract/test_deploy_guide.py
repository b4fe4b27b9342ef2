"""deploy/README.md's sizing agrees with the code and with the benchmark figures it cites."""

from __future__ import annotations

import re

from shared.contracts import EVENT_TYPES, Event
from shared.messaging.kafka import all_topics
from tests.contract.compose_files import ROOT

GUIDE = ROOT / "deploy" / "README.md"
BENCH = ROOT / "bench" / "README.md"


def test_the_guide_lists_every_topic_with_the_partitions_of_the_code() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `([a-z0-9_.-]+)` \| (\d+) \|$", guide, re.MULTILINE))
    assert {topic: int(count) for topic, count in table.items()} == all_topics()


def test_partition_counts_are_decided_in_one_place() -> None:
    # No contract carries a count of its own: DEFAULT_PARTITIONS decides every topic's.
    for cls in EVENT_TYPES.values():
        assert "partitions" not in vars(cls), f"{cls.__name__} declares its own partitions"
    assert "partitions" not in Event.__annotations__


def test_every_measured_figure_the_guide_uses_is_in_the_benchmark_record() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    bench = BENCH.read_text(encoding="utf-8")
    section = guide.split("### Measured figures used", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| (B\d) \| [^|]+ \| ([^|]+) \|$", section, re.MULTILINE)
    assert len(rows) >= 9
    for ref, value in rows:
        for number in re.findall(r"\d[\d,.]*\d(?: (?:ms|s|GB|bytes))?", value):
            assert number in bench, f"{ref}: {number} is not in bench/README.md"
