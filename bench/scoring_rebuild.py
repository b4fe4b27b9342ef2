"""Rebuilding scoring's views from the topics: ``kinerja replay scoring`` over a year of events.

Target: one million events rebuilt in at most 2 minutes, and (issue #18) at no less than 0.12 of the
bare loop's rate. The topics are filled first (not timed, ``scoring_rebuild_events.py``) with
realistic contract events, enveloped as the services' relays would. Then the
rebuild that ``kinerja replay scoring`` runs (``kinerja.replay.rebuild``: a fresh
``scoring_rebuild`` schema, the service's own consumer runner and handlers, partitions assigned
directly) is timed from start to the last offset committed. Beside it, in the same run, a bare
aiokafka loop reads and JSON-decodes the same messages, once before the rebuild and once after: the
ratio is to the median of the two (their mean).

    .venv/bin/python -m bench.scoring_rebuild --quick      # 100,000 events
    .venv/bin/python -m bench.scoring_rebuild              # 1,000,000 events
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import statistics
import sys
import time
from dataclasses import dataclass

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench._cpu import CpuMeter
from bench._platform import (
    BenchPlatform,
    bare_consume,
    figure,
    machine_line,
    parse_sized_options,
    run_on_platform,
    stage,
)
from bench.scoring_rebuild_events import REGIONS, produce
from kinerja.replay import rebuild, scratch_definition
from kinerja.services import definition
from shared.db import ALL_REGIONS_SETTING
from shared.observability import CONSUMER_BATCH_SIZE

TARGET_SECONDS_PER_MILLION = 120.0


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    live = definition("scoring")
    scratch = scratch_definition(live)
    bootstrap = platform.endpoints.kafka_bootstrap_servers
    # Imported here: every worker of the replay imports this module again (as ``__mp_main__``), and
    # the migrations' tool (alembic, mako, pygments) was two thirds of what that cost each of them,
    # while the first phase waited; the command line's workers import only ``kinerja.cli``'s few.
    from shared.migrations import upgrade_to_head_async

    await upgrade_to_head_async(live.settings, live.migrations_dir)  # the replay copies kept tables from it
    stage(f"writing {args.events:,} events to the topics")
    written_at = time.perf_counter()
    planning, reporting, people = await produce(bootstrap, args)
    write_seconds = time.perf_counter() - written_at
    servers = {}
    if platform.embedded is not None:
        servers["postgres"] = platform.embedded.processes["postgres"].pid
    if (broker := platform.endpoints.pids.get("broker")) is not None:
        # Counted too: what the three leave of the two cores while applying is waiting, not work.
        servers["broker"] = broker
    assert scratch.handlers is not None
    topics = {cls.topic for cls in scratch.handlers(None)}  # type: ignore[arg-type]
    # Every message written: Tansu's end offsets undercount records written many to a
    # batch (it reports the last batch's first offset + 1), so the replay's own total is too small.
    written = planning + reporting
    bare_before = await _bare_loop(bootstrap, topics, written, servers, "before the rebuild")
    stage("rebuilding (kinerja replay scoring's rebuild)")
    pids = {REPLAY: os.getpid(), **servers}
    last_print = [0.0]
    applying_cpu: dict[str, float] = {}
    first_cpu: dict[str, float] = {}
    views_owners = [0]
    peak_rss = [0]
    workers = _ReplayWorkers(args.workers)

    def progress(done: int, total: int, what: str) -> None:
        peak_rss[0] = max(peak_rss[0], workers.rss())
        if what == "events" and done >= planning and FIRST not in phase_started:
            # Planning's topics are the first phase (after the schema and start-up, its partitions
            # shared among the workers since session 21): what follows is the workers applying
            # reporting's events side by side.
            first_cpu.update(meter.so_far())
            phase_started[FIRST] = time.perf_counter()
        if what not in phase_started and what == "employees' views":
            # The events are applied: the CPU so far is theirs.
            applying_cpu.update(meter.so_far())
            views_owners[0] = total
        phase_started.setdefault(what, time.perf_counter())
        if time.perf_counter() - last_print[0] > 10 or done >= total:
            last_print[0] = time.perf_counter()
            stage(f"  {done:,} of {total:,} {what} done")

    phase_started: dict[str, float] = {}
    batches_before = _batches_applied()
    profiler = cProfile.Profile() if args.profile else None
    with _ReplayMeter(pids, workers) as meter:
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        await rebuild(
            scratch, live_schema=live.settings.database_schema, progress=progress, workers=args.workers
        )
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
    bare_after = await _bare_loop(bootstrap, topics, written, servers, "after the rebuild")
    engine = create_async_engine(platform.admin_database_url)
    schema = scratch.settings.database_schema
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"SELECT set_config('{ALL_REGIONS_SETTING}', 'on', true)"))

            async def scalar(sql: str) -> int:
                return int((await connection.execute(text(sql))).scalar_one() or 0)

            processed = await scalar(f'SELECT count(*) FROM "{schema}".processed_events')
            activities = await scalar(f'SELECT count(*) FROM "{schema}".contributions')
            progress_rows = await scalar(f'SELECT count(*) FROM "{schema}".indicator_progress')
            summaries = await scalar(f'SELECT count(*) FROM "{schema}".employee_scores')
            # The year rows' counts must add up to the activities that count (not rejected).
            counted = await scalar(
                f"SELECT count(*) FROM \"{schema}\".contributions WHERE reported AND status <> 'REJECTED'"
                " AND year IS NOT NULL"
            )
            # Contributions rows written (inserted or updated): once per activity per batch it is in.
            written_rows = await scalar(
                "SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables"
                f" WHERE schemaname = '{schema}' AND relname = 'contributions'"
            )
            in_year_rows = await scalar(
                f'SELECT coalesce(sum(activity_count), 0) FROM "{schema}".indicator_progress'
                " WHERE length(period) = 4"
            )
            # The replay holds autovacuum off its scratch schema until its end (before session 19:
            # 43 vacuums and 51 analyzes over 300,000 events); any counted here ran after that.
            upkeep = (
                await connection.execute(
                    text(
                        "SELECT coalesce(sum(autovacuum_count), 0), coalesce(sum(autoanalyze_count), 0)"
                        f" FROM pg_stat_user_tables WHERE schemaname = '{schema}'"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    if profiler is not None:
        print("\nrebuild (this process), top functions by internal time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        print("\nrebuild (this process), the project's own functions by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(r"/(services|shared|kinerja)/", 25)
    rate, bare_rate = processed / seconds, statistics.median([bare_before.rate, bare_after.rate])
    projected = TARGET_SECONDS_PER_MILLION * args.events / 1_000_000
    print()
    print(f"scoring rebuild benchmark — {machine_line()}")
    print(
        f"{written:,} events on the topics ({planning:,} planning, {reporting:,} reporting) for {people:,} "
        f"employees in {len(REGIONS)} regions; written in {write_seconds:.1f}s"
    )
    print(
        figure("rebuild: topics to committed views", rate, "events/s", target=">= 0.12 x", baseline=bare_rate)
    )
    print(figure("rebuild: total time", seconds, "s", target=f"<= {projected:.0f}"))
    print(
        figure(
            "rebuild: projected for 1,000,000 events", seconds * 1_000_000 / processed, "s", target="<= 120"
        )
    )
    print(f"    {meter.line()}")
    print(f"    the bare loop {bare_before.line()}; {bare_after.line()}")
    print(f"    {meter.per_item(processed, 'event')} (the workers count in the bench's tree)")
    if applying_cpu:
        applying = ", ".join(
            f"{name} {used / processed * 1e6:,.1f} µs" for name, used in applying_cpu.items()
        )
        owners = max(views_owners[0], 1)
        refreshing = ", ".join(
            f"{name} {(meter.cpu_seconds[name] - applying_cpu[name]) / owners * 1e3:,.2f} ms"
            for name in applying_cpu
        )
        print(f"    CPU per event while applying: {applying}; per employee refreshing views: {refreshing}")
    views_at = phase_started.get("employees' views")
    batches = _batches_applied() - batches_before
    if views_at is not None:
        # Batches applied in this process only: with worker processes, the workers applied them.
        in_batches = f" ({batches:,} batches, {processed / batches:,.0f} events each)" if batches else ""
        print(
            f"    applying the events {views_at - started:.1f} s{in_batches}, refreshing the views once "
            f"at the end {started + seconds - views_at:.1f} s"
        )
        # How full the cores were while applying: idle ones are waiting, not work.
        cores = ", ".join(f"{name} {used / (views_at - started):.2f}" for name, used in applying_cpu.items())
        print(f"    cores used while applying: {cores}")
        rest_at = phase_started.get(FIRST)
        if rest_at is not None and first_cpu and rest_at < views_at:
            # The parallel phase alone: its CPU an event does not carry the start-up and first phase,
            # which a quick run's figures above do (a tenth of its events, a third of its time).
            rest = {name: applying_cpu[name] - first_cpu[name] for name in applying_cpu}
            print(
                f"    start-up, schema and planning's {planning:,} events "
                f"{rest_at - started:.1f} s; the other {reporting:,} events side by side "
                f"{views_at - rest_at:.1f} s, CPU an event: "
                + ", ".join(f"{name} {used / reporting * 1e6:,.1f} µs" for name, used in rest.items())
                + "; cores used: "
                + ", ".join(f"{name} {used / (views_at - rest_at):.2f}" for name, used in rest.items())
            )
    print(
        f"    applied {processed:,} events; {activities:,} activities, {progress_rows:,} progress rows, "
        f"{summaries:,} employee summaries"
    )
    per_activity = written_rows / max(activities, 1)
    print(
        f"    contributions rows written {written_rows:,} ({per_activity:.2f} an activity); the workers'"
        f" memory at most {peak_rss[0] / 2**20:,.0f} MiB (resident, all of them)"
    )
    print(f"    autovacuum on the scratch schema: {upkeep[0]:,} vacuums, {upkeep[1]:,} analyzes")
    print(
        f"    year rows count {in_year_rows:,} activities, contributions that count: {counted:,} "
        f"({'equal' if in_year_rows == counted else 'DIFFERENT'})"
    )


@dataclass(frozen=True)
class _BareLoop:
    """One timing of the bare loop, with the cores each process used meanwhile."""

    when: str
    events: int
    rate: float
    meter: CpuMeter

    def line(self) -> str:
        # Its CPU an event steadier than its rate, which is whatever share of a core it got.
        return f"{self.when} {self.rate:,.0f} events/s ({self.meter.per_item(self.events, 'event')})"


async def _bare_loop(
    bootstrap: str, topics: set[str], written: int, servers: dict[str, int], when: str
) -> _BareLoop:
    """The bare loop over every message written. Timed twice, before the rebuild and after it: once,
    after it only, its rate swung 153k-247k events/s between runs. After the rebuild, PostgreSQL
    vacuums and analyzes the scratch schema meanwhile (autovacuum held off it until then), on the
    two cores the loop and the broker share."""
    stage(f"timing a bare consume loop over the same topics, {when}")
    with CpuMeter({BARE: os.getpid(), **servers}) as meter:
        seconds = await bare_consume(bootstrap, topics, written, batch_size=2000)
    return _BareLoop(when, written, written / seconds, meter)


#: The bare loop, in this process.
BARE = "bench (bare loop)"
#: The process tree of the replay: this process and its worker processes.
REPLAY = "bench (replay and its workers)"
#: The phase that applies the ``replay_first`` topics (planning's), as the bench's timings name it.
FIRST = "planning's topics"


class _ReplayWorkers:
    """The replay's worker processes and the fork server they are forked from (Linux), looked for
    until all have started, then remembered: looking walks every process on the machine (18 ms on a
    busy one), and the progress is told twice a second. The servers this process started are not
    among them."""

    def __init__(self, workers: int | None) -> None:
        # As the replay counts them; with one worker the jobs run in this process.
        count = max(1, workers if workers is not None else os.cpu_count() or 1)
        self._expected = count if count > 1 else 0
        self._found: list[psutil.Process] = []
        self._servers: list[psutil.Process] = []

    def _processes(self) -> list[psutil.Process]:
        if len(self._found) < self._expected:
            self._found, self._servers = [], []
            this = psutil.Process()
            for child in this.children():
                with contextlib.suppress(psutil.Error):
                    # A forked worker has this process's command line, a spawned one its own; the
                    # fork server's children are the workers it forked.
                    command = child.cmdline()
                    if command == this.cmdline() or "--multiprocessing-fork" in command:
                        self._found.append(child)
                    elif any("multiprocessing.forkserver" in part for part in command):
                        self._servers.append(child)
                        self._found += child.children()
        return self._found

    def cpu(self) -> float:
        """CPU seconds of the workers still running and of the fork server, with the workers it saw
        end (its children times; those this process saw end count in its own)."""
        total = 0.0
        for worker in self._processes():
            with contextlib.suppress(psutil.Error):
                times = worker.cpu_times()
                total += times.user + times.system
        for server in self._servers:
            with contextlib.suppress(psutil.Error):
                times = server.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        return total

    def rss(self) -> int:
        """Resident bytes of the workers now, all of them together."""
        total = 0
        for worker in self._processes():
            with contextlib.suppress(psutil.Error):
                total += worker.memory_info().rss
        return total


class _ReplayMeter(CpuMeter):
    """The CPU meter, with the replay's processes counted in this process's tree: its workers and
    their fork server, which this process's own children times count only for workers it forked."""

    def __init__(self, pids: dict[str, int], workers: _ReplayWorkers) -> None:
        super().__init__(pids)
        self._workers = workers

    def _cpu_seconds(self, pid: int) -> float:  # type: ignore[override]
        used = CpuMeter._cpu_seconds(pid)
        return used + self._workers.cpu() if pid == os.getpid() else used


def _batches_applied() -> int:
    """Batches the consumer runner has applied in this process (its batch-size histogram's count)."""
    for metric in CONSUMER_BATCH_SIZE.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                return int(sample.value)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the events")
    parser.add_argument("--events", type=int, help="events on the topics")
    parser.add_argument("--employees", type=int, default=4000, help="employees across the regions")
    parser.add_argument("--profile", action="store_true", help="profile the rebuild (cProfile) and print it")
    parser.add_argument("--workers", type=int, help="the replay's worker processes (default: one per core)")
    args = parse_sized_options(parser, {"events": (1_000_000, 100_000)})
    run_on_platform(run, args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
