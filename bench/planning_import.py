"""Validating an organisation CSV import: rows per second of planning's ``validate_import``.

Target: a region's file of 5,000 employees (2% of its rows broken) judged in at most 2 s, so the
dry run of ``POST /v1/imports/organisation`` answers while the HR officer waits. The file is the
tests' realistic generator's (``tests/unit/planning/csv_fixture.py``: agencies, sections, service
points, supervisors, existing employees); the baseline is the standard library's ``csv.DictReader``
reading the same text, the parsing every validation starts with. Pure CPU in this process, no
infrastructure: the best of ``--repeat`` runs of each (the least disturbed by other work).

    .venv/bin/python -m bench.planning_import              # 5,000 rows
    .venv/bin/python -m bench.planning_import --rows 50000 --repeat 3
    .venv/bin/python -m bench.planning_import --quick --profile
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import time
from collections.abc import Callable, Sequence

from bench._platform import figure, machine_line, parse_sized_options
from services.planning.domain.csv_import import validate_import
from tests.unit.planning.csv_fixture import GeneratedCsv, generate_structure_csv

TARGET_SECONDS_FOR_5000 = 2.0


def best_seconds(run: Callable[[], object], repeat: int) -> float:
    """The shortest of ``repeat`` timed runs."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (``argv``, else the process's)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, help="rows in the file")
    parser.add_argument("--repeat", type=int, help="timed runs of each; the best is shown")
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--profile", action="store_true", help="the top functions of one validation")
    return parse_sized_options(parser, {"rows": (5000, 1000), "repeat": (5, 2)}, argv)


def main() -> None:
    args = options()
    rows, repeat = args.rows, args.repeat

    generated: GeneratedCsv = generate_structure_csv(rows, broken_fraction=0.02, seed=5)

    def validate() -> None:
        report = validate_import(
            generated.text, region_id=generated.region_id, existing_employees=generated.existing_employees
        )
        # A benchmark of a wrong answer measures nothing: every row is judged.
        assert len(report.accepted) + len(report.rejected) == rows

    def parse() -> None:
        assert sum(1 for _ in csv.DictReader(io.StringIO(generated.text))) == rows

    print(machine_line())
    parsed = best_seconds(parse, repeat)
    validated = best_seconds(validate, repeat)
    target_seconds = TARGET_SECONDS_FOR_5000 * rows / 5000
    print(
        figure(
            f"validate_import, {rows:,} rows",
            rows / validated,
            "rows/s",
            target=f">= {5000 / TARGET_SECONDS_FOR_5000:,.0f}/s",
            baseline=rows / parsed,
        )
    )
    print(figure("  seconds for the file", validated, "s", target=f"<= {target_seconds:.1f} s"))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(validate)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
