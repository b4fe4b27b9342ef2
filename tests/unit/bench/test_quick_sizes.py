"""Every bench's one ``--quick`` rule: an option given explicitly wins; ``--quick`` sets only the
sizes not given (their full size without it), and ``--help`` says so."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from typing import Any

import pytest

from bench._platform import parse_sized_options

SIZES = {"events": (200_000, 20_000), "duration": (60.0, 10.0)}


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(prog="bench", formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("--quick", action="store_true")
    made.add_argument("--events", type=int)
    made.add_argument("--duration", type=float)
    return made


@pytest.mark.parametrize(
    ("argv", "events", "duration"),
    [
        ([], 200_000, 60.0),
        (["--quick"], 20_000, 10.0),
        (["--events", "5"], 5, 60.0),
        (["--quick", "--events", "5"], 5, 10.0),
        (["--events", "5", "--quick"], 5, 10.0),
        (["--quick", "--events", "200000"], 200_000, 10.0),  # the full size, given, is kept too
    ],
)
def test_an_option_given_explicitly_wins_and_quick_sets_only_the_others(
    argv: list[str], events: int, duration: float
) -> None:
    args = parse_sized_options(parser(), SIZES, argv)
    assert (args.events, args.duration) == (events, duration)


def test_help_says_the_rule_and_both_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_sized_options(parser(), SIZES, ["--help"])
    shown = capsys.readouterr().out
    assert "an option given explicitly wins; --quick sets only the sizes not given" in shown
    assert re.search(r"--events +200,000 +20,000\n", shown)


def test_a_sized_option_with_a_default_of_its_own_is_refused() -> None:
    defaulted = parser()
    defaulted.set_defaults(events=1000)
    with pytest.raises(ValueError, match="events"):
        parse_sized_options(defaulted, SIZES, [])


def main_args(module: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The options a bench's ``main`` would run with (the run itself replaced)."""
    bench = importlib.import_module(module)
    if hasattr(bench, "options"):  # a bench that runs without the platform reads its options apart
        return bench.options(argv)
    taken: list[Any] = []
    monkeypatch.setattr(bench, "run_on_platform", lambda run, args: taken.append(args))
    monkeypatch.setattr(sys, "argv", [module, *argv])
    bench.main()
    return taken[0]


@pytest.mark.parametrize(
    ("module", "given", "quick"),
    [
        ("bench.relay", {"events": 7}, {}),
        ("bench.reporting_ingest", {"employees": 7}, {"regions": 2, "duration": 4.0}),
        ("bench.scoring_consumer", {"events": 7}, {"employees": 500, "duration": 10.0}),
        ("bench.scoring_consumer_replay", {"events": 7}, {"employees": 500}),
        ("bench.scoring_reads", {"employees": 7}, {"activities": 1_000_000, "duration": 5.0}),
        ("bench.soak", {"rate": 7.0}, {"employees": 40, "regions": 2}),
        ("bench.planning_import", {"rows": 7}, {"repeat": 2}),
        ("bench.scoring_rebuild", {"events": 1_000_000}, {"employees": 4000}),  # the full size, given
    ],
)
def test_each_bench_keeps_what_is_given_beside_quick(
    module: str, given: dict[str, Any], quick: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["--quick"] + [part for name, value in given.items() for part in (f"--{name}", str(value))]
    args = main_args(module, argv, monkeypatch)
    assert {name: getattr(args, name) for name in given} == given
    assert {name: getattr(args, name) for name in quick} == quick
