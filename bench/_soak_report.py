"""The soak's figures per window, its verdict against issue 18's targets, and how both are printed.

Every target is judged with the run's first window as its baseline: a platform that holds up keeps
the first window's figures to the end. Pure data and arithmetic, no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from bench._soak_postgres import ProcessKinds, render_kinds
from bench._soak_statements import (
    Snapshot,
    Statement,
    TableUpkeep,
    render_statement_windows,
    render_statements,
    render_upkeep,
)
from bench._soak_wal import ServerCounters, render_server
from bench._soak_watch import GcPauses, Parts
from shared.observability import EVENT_TO_EFFECT_PARTS

#: Issue 18's soak targets.
FRESHNESS_P99_TARGET_MS = 1000.0
LATENCY_GROWTH_LIMIT = 1.20  # the last window's p99 at most 20% above the first's
MEMORY_GROWTH_LIMIT = 1.10  # every process's memory at most 10% above its first-window size
#: A backlog that stays within this many seconds of arrivals is no backlog (freshness allows 1 s).
BACKLOG_ALLOWANCE_SECONDS = 1.0


@dataclass
class Window:
    """One window of the stream (a minute in a full run): what was sent, answered and measured."""

    number: int
    seconds: float
    load_average: float
    requests: int = 0
    activities: int = 0
    #: Activities answered 2xx (new, or a field app's retry answered as a duplicate).
    accepted: int = 0
    #: Activities of requests answered 5xx or not at all (connection errors).
    failed: int = 0
    #: Activities refused with a 4xx (the stream sends none that should be).
    refused: int = 0
    #: Requests that waited for a free connection: the asked rate was not met meanwhile.
    behind_schedule: int = 0
    single_ms: tuple[float, float] = (math.nan, math.nan)
    batch_ms: tuple[float, float] = (math.nan, math.nan)
    #: Scoring's event-to-effect histogram for activity events: p50, p99 and the events observed.
    freshness_ms: tuple[float, float] = (math.nan, math.nan)
    freshness_events: int = 0
    #: Per service, the largest backlog sampled in the window: its consumer group's lag (messages)
    #: plus its outbox rows not yet published (a row is one event, or a batch request's events of
    #: one employee: reporting's intake writes those as one row).
    backlog: dict[str, int] = field(default_factory=dict)
    #: Per process, its memory at the window's end in MB (RSS; PostgreSQL: every process's private
    #: memory outside its shared segment, which is fixed at start).
    memory_mb: dict[str, float] = field(default_factory=dict)
    #: Per process, the cores it used during the window.
    cores: dict[str, float] = field(default_factory=dict)
    #: PostgreSQL's processes by kind (a service's connections, autovacuum, checkpointer...).
    postgres: ProcessKinds | None = None
    #: Where freshness went (its parts), and scoring's batches.
    parts: Parts | None = None
    #: What PostgreSQL wrote (WAL, checkpoints, evictions) and autovacuum's runs in the window.
    server: ServerCounters | None = None
    #: Each service's garbage collector pauses in the window.
    gc: dict[str, GcPauses] = field(default_factory=dict)
    #: Per service, why each of its /metrics scrapes in the window went unanswered (its figures then
    #: end at its last answer: a window without any has none, and the next counts two windows').
    unanswered: dict[str, list[str]] = field(default_factory=dict)
    #: Scrapes of every service's /metrics in the window.
    scrapes: int = 0


@dataclass
class SoakReport:
    """A whole soak: its settings, its windows, and what the checks after it found."""

    broker: str
    rate: float
    window_seconds: float
    employees: int
    batch: int
    single_share: float
    machine: str
    windows: list[Window] = field(default_factory=list)
    #: Seconds from the stream's start until its last request was answered (its schedule: the windows).
    stream_seconds: float = math.nan
    #: Activities sent after the last window ended (the client fell behind the asked rate).
    activities_after_windows: int = 0
    #: Freshness over the whole stream (p50, p99 in ms) and the events observed.
    freshness_ms: tuple[float, float] = (math.nan, math.nan)
    #: Seconds from the stream's end until every outbox was drained and every group's lag was zero.
    drained_in: float | None = None
    #: Activities answered 2xx: missing from reporting or scoring, or there more than once.
    checked: int = 0
    lost: int = 0
    counted_twice: int = 0
    violations: list[str] = field(default_factory=list)
    #: PostgreSQL's statements over the stream, the costliest first (empty: not tracked).
    statements: list[Statement] = field(default_factory=list)
    #: Each statement's time so far at every window's end (``bench._soak_statements``).
    statement_windows: list[Snapshot] = field(default_factory=list)
    #: Autovacuum's runs and time by table over the stream.
    upkeep: list[TableUpkeep] = field(default_factory=list)
    #: Connections opened to PostgreSQL over the stream (each a server process started).
    sessions: int = 0
    #: The checkpoints in PostgreSQL's log, each with its second from the stream's start.
    checkpoints: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Judgement:
    """One target: the first window's figure, the figure judged, and whether it was met."""

    target: str
    baseline: str
    measured: str
    met: bool


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def _growth(first: float, last: float) -> str:
    return f"× {last / first:.2f}" if first > 0 and not math.isnan(first) and not math.isnan(last) else ""


def judge(report: SoakReport) -> list[Judgement]:
    """Each of issue 18's soak targets, the first window being the baseline."""
    windows = report.windows
    if not windows:
        return [Judgement("the stream ran", "", "no window completed", False)]
    first, last = windows[0], windows[-1]
    failed = sum(w.failed for w in windows)
    refused = sum(w.refused for w in windows)
    requests = sum(w.requests for w in windows)
    judgements = [
        Judgement(
            "no failed request (5xx, no answer, or 4xx)",
            f"{first.failed + first.refused} activities",
            f"{failed} failed, {refused} refused in {requests:,} requests",
            failed == 0 and refused == 0,
        )
    ]
    worst = max(windows, key=lambda w: -1.0 if math.isnan(w.freshness_ms[1]) else w.freshness_ms[1])
    judgements.append(
        Judgement(
            f"freshness p99 <= {FRESHNESS_P99_TARGET_MS:,.0f} ms in every window",
            _ms(first.freshness_ms[1]),
            f"worst {_ms(worst.freshness_ms[1])} (window {worst.number}), run {_ms(report.freshness_ms[1])}",
            all(w.freshness_ms[1] <= FRESHNESS_P99_TARGET_MS for w in windows),
        )
    )
    for kind, attribute in (("single", "single_ms"), ("batch", "batch_ms")):
        before, after = getattr(first, attribute)[1], getattr(last, attribute)[1]
        if math.isnan(before) and math.isnan(after):
            continue  # that kind of request was not sent
        judgements.append(
            Judgement(
                f"p99 latency flat, {kind} requests (last window <= {LATENCY_GROWTH_LIMIT:.2f} × first)",
                _ms(before),
                f"{_ms(after)} {_growth(before, after)}",
                after <= before * LATENCY_GROWTH_LIMIT,
            )
        )
    allowance = round(report.rate * BACKLOG_ALLOWANCE_SECONDS)
    for service in first.backlog:
        before, after = first.backlog[service], last.backlog.get(service, -1)
        judgements.append(
            Judgement(
                f"no backlog growth, {service} (last - first <= {allowance:,} messages and rows)",
                f"{before:,} messages and rows",
                f"{after:,} messages and rows" if after >= 0 else "not scraped",
                0 <= after <= before + allowance,
            )
        )
    for process, size in first.memory_mb.items():
        end = last.memory_mb.get(process, math.nan)
        judgements.append(
            Judgement(
                f"memory of {process} (last <= {MEMORY_GROWTH_LIMIT:.2f} × first)",
                f"{size:,.0f} MB",
                f"{end:,.0f} MB {_growth(size, end)}",
                end <= size * MEMORY_GROWTH_LIMIT,
            )
        )
    judgements.append(
        Judgement(
            "nothing lost: every activity answered 2xx once in reporting and in scoring",
            "",
            f"{report.checked:,} checked: {report.lost} lost, {report.counted_twice} twice; "
            + (
                f"drained {report.drained_in:.1f} s after the stream"
                if report.drained_in is not None
                else "NOT drained"
            ),
            report.lost == 0 and report.counted_twice == 0 and report.drained_in is not None,
        )
    )
    return judgements


def _pair(values: tuple[float, float]) -> str:
    return "/".join("n/a" if math.isnan(v) else f"{v:,.0f}" for v in values)


def _stream_line(report: SoakReport) -> str:
    scheduled = sum(w.seconds for w in report.windows)
    sent = sum(w.activities for w in report.windows) + report.activities_after_windows
    line = (
        f"stream: {sent:,} activities, "
        f"the last answered {report.stream_seconds:.0f} s after the start ({scheduled:.0f} s scheduled)"
    )
    if report.activities_after_windows:
        line += (
            f"; {report.activities_after_windows:,} of them sent after the last window, as the client "
            "waited for free connections (the asked rate was not met)"
        )
    return line


def _render_parts(windows: list[Window]) -> list[str]:
    parted = [(w.number, w.parts) for w in windows if w.parts is not None]
    if not parted:
        return []
    names = list(EVENT_TO_EFFECT_PARTS)
    lines = [
        "",
        "where freshness went, mean/p99 ms (relay: the event's occurrence in reporting to the relay's "
        "record; broker: to scoring's fetch, less waiting: while scoring applied the batch before; "
        "applying: its batch until commit; the means add up to freshness's), and scoring's batches:",
        f"{'win':>3} " + " ".join(f"{name:>13}" for name in names) + f" {'batches':>8} {'events':>7} "
        f"{'batch mean/p50/p99 ms':>22}",
    ]
    for number, parts in parted:
        cells = [
            _pair((parts.mean_ms.get(name, math.nan), parts.p99_ms.get(name, math.nan))) for name in names
        ]
        batch_ms = "/".join(f"{value:,.0f}" for value in parts.batch_ms)
        lines.append(
            f"{number:>3} "
            + " ".join(f"{cell:>13}" for cell in cells)
            + f" {parts.batches:>8,} {parts.batch_events:>7.0f} {batch_ms:>22}"
        )
    return lines


def _render_gc(windows: list[Window]) -> list[str]:
    names = sorted({name for w in windows for name in w.gc})
    if not names:
        return []
    lines = [
        "",
        "garbage collector per process: ms paused, collections of generation 1 / 2, the longest pause "
        "(at most, ms):",
        f"{'win':>3} " + " ".join(f"{name:>20}" for name in names),
    ]
    for w in windows:
        cells = []
        for name in names:
            pauses = w.gc.get(name)
            cell = (
                "n/a"
                if pauses is None
                else f"{pauses.paused_ms:,.0f}, {pauses.middle}/{pauses.full}, <={pauses.longest_ms:,.0f}"
            )
            cells.append(f"{cell:>20}")
        lines.append(f"{w.number:>3} " + " ".join(cells))
    return lines


def _render_unanswered(windows: list[Window]) -> list[str]:
    missing = [w for w in windows if w.unanswered]
    if not missing:
        return []
    lines = ["", "scrapes of /metrics not answered (the service's figures end at its last answer):"]
    for w in missing:
        for service, failures in w.unanswered.items():
            reasons = ", ".join(f"{why or 'unknown'} x{n}" for why, n in Counter(failures).most_common())
            lines.append(f"  window {w.number}: {service} {len(failures)} of {w.scrapes} ({reasons})")
    return lines


def render(report: SoakReport) -> str:
    """The tables per window, then the verdict."""
    windows = report.windows
    lines = [
        f"soak: {report.rate:,.0f} activities/s for {len(windows)} windows of {report.window_seconds:.0f} s "
        f"on {report.broker}; {report.employees:,} employees; {report.single_share:.0%} of the activities "
        f"sent one per request, the rest in batches of {report.batch}",
        report.machine,
        _stream_line(report),
        "latency counts from each request's scheduled start (queueing in the client included); freshness "
        "is scoring's kinerja_event_to_effect_seconds histogram (reporting's acceptance of an activity to "
        "scoring's commit of its effect; interpolated within buckets ... 0.5, 0.75, 1, 1.5, 2, 3, 5, 10 s)",
        "",
        f"{'win':>3} {'load':>5} {'requests':>8} {'activities':>10} {'failed':>6} {'refused':>7} "
        f"{'behind':>6} {'single p50/p99 ms':>17} {'batch p50/p99 ms':>16} {'freshness p50/p99 ms':>20} "
        f"{'events':>7}",
    ]
    for w in windows:
        lines.append(
            f"{w.number:>3} {w.load_average:>5.1f} {w.requests:>8,} {w.activities:>10,} {w.failed:>6} "
            f"{w.refused:>7} {w.behind_schedule:>6} {_pair(w.single_ms):>17} {_pair(w.batch_ms):>16} "
            f"{_pair(w.freshness_ms):>20} {w.freshness_events:>7,}"
        )
    for title, attribute, unit in (
        ("backlog, the largest sampled (consumer group lag + outbox rows not yet published)", "backlog", ""),
        (
            "memory at the window's end (RSS; postgres: private memory outside its fixed shared segment)",
            "memory_mb",
            " MB",
        ),
        ("cores used", "cores", ""),
    ):
        names = list(getattr(windows[0], attribute)) if windows else []
        lines += ["", f"{title}:", f"{'win':>3} " + " ".join(f"{name:>12}" for name in names)]
        for w in windows:
            values = getattr(w, attribute)
            cells = []
            for name in names:
                value = values.get(name)
                cells.append(
                    f"{'n/a':>12}"
                    if value is None
                    else f"{value:>12.2f}"
                    if attribute == "cores"
                    else f"{value:>12,.0f}"
                )
            lines.append(f"{w.number:>3} " + " ".join(cells) + unit)
    lines += _render_unanswered(windows)
    lines += _render_parts(windows)
    lines += _render_gc(windows)
    lines += render_kinds([(w.number, w.postgres) for w in windows if w.postgres is not None])
    lines += render_server([(w.number, w.activities, w.server) for w in windows if w.server is not None])
    lines += report.checkpoints
    activities = sum(w.activities for w in windows) + report.activities_after_windows
    lines += render_statements(report.statements, activities, report.sessions)
    lines += render_statement_windows(report.statements, report.statement_windows)
    lines += render_upkeep(report.upkeep, activities)
    lines += ["", "verdict (baseline: the first window of this run):"]
    for judgement in judge(report):
        lines.append(
            f"  {'met' if judgement.met else 'MISSED':<6} {judgement.target}: "
            + (f"first {judgement.baseline}, " if judgement.baseline else "")
            + judgement.measured
        )
    lines += [f"  violation: {violation}" for violation in report.violations]
    return "\n".join(lines)
