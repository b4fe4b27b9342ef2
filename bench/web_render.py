"""The web app's pages: server-side render latency at 50 requests/s, each beside the API call it wraps.

Target (issue #14): p95 at most 50 ms at 50 requests/s for the survey page, the employee's scorecard
and the rater's feed page, with the demo data. The four services and the web process run as their
own processes on real infrastructure, the demo data loaded as ``make up`` loads it
(``bench/web_render_people.py``); the employees and heads of units of the demo region Wanggar sign in
through the development sign-in page and each request is one of them (in turn). Then, open loop at a
fixed rate (latency from each request's scheduled start), each page and beside it the call it wraps:
- the survey, ``GET /skm?region=&unit=&service=`` (no session) and feedback's
  ``GET /v1/public/regions/<id>`` (the region's units and services). The web process keeps that
  answer for ``KINERJA_REGION_CACHE_SECONDS`` (300 s), so the page normally renders without calling
  feedback; ``--no-cache`` measures it calling every time. Each request comes from another forwarded
  address (feedback believes the web process's, on 127.0.0.1), so the citizens' rate limits do not
  turn the load into 429s;
- the scorecard, ``GET /saya/capaian`` (this quarter) and scoring's
  ``GET /v1/employees/<id>/scorecard?period=`` with the employee's token (the page also reads
  feedback's continuous feedback and behaviour assessment of the period);
- the feed page's first render, ``GET /penilai/umpan`` (not its live stream) and reporting's
  ``GET /v1/activities?limit=30`` with the rater's token (the page also reads the rater's team and
  plans from planning).

    .venv/bin/python -m bench.web_render                      # each page at 50 requests/s for 20 s
    .venv/bin/python -m bench.web_render --pages scorecard,feed --duration 10
    .venv/bin/python -m bench.web_render --no-cache --pages survey
"""

from __future__ import annotations

import argparse
import itertools
import os
import pstats
import signal
from collections.abc import Callable
from dataclasses import dataclass

from bench._cpu import CpuMeter
from bench._platform import BenchPlatform, figure, machine_line, run_on_platform, stage
from bench._read_loops import Phase, open_loop
from bench.web_render_people import REGION, DemoPeople, sign_in_people, start_platform

TARGET_P95_MS = 50.0
PAGES = ("survey", "scorecard", "feed")
Request = tuple[str, dict[str, str]]


@dataclass(frozen=True)
class Measured:
    """One page and the API call it wraps: where each is sent, what is asked, how it is described."""

    title: str
    page_route: str
    page: Callable[[], Request]
    api_service: str
    api_route: str
    api: Callable[[], Request]


def addresses() -> itertools.cycle[str]:
    return itertools.cycle(f"10.{a}.{b}.{c}" for a in range(1, 4) for b in range(0, 250) for c in (1, 2))


def measured_pages(people: DemoPeople, no_cache: bool) -> dict[str, Measured]:
    """The survey, scorecard and feed pages with their wrapped calls, each person in turn."""
    forwarded = addresses()
    employees = itertools.cycle(people.employees)
    raters = itertools.cycle(people.raters)
    survey = f"/skm?region={REGION}&unit={people.unit_id}&service={people.service_id}"

    def survey_page() -> Request:
        return survey, {"X-Forwarded-For": next(forwarded)}

    def region_profile() -> Request:
        return f"/v1/public/regions/{REGION}", {"X-Forwarded-For": next(forwarded)}

    def scorecard_page() -> Request:
        return "/saya/capaian", {"Cookie": next(employees).cookie}

    def scorecard() -> Request:
        employee = next(employees)
        return f"/v1/employees/{employee.employee_id}/scorecard?period={people.quarter}", employee.api_headers

    def feed_page() -> Request:
        return "/penilai/umpan", {"Cookie": next(raters).cookie}

    def activities() -> Request:
        return "/v1/activities?limit=30", next(raters).api_headers

    caching = "region profile not cached" if no_cache else "region profile cached in the web process"
    return {
        "survey": Measured(
            f"survey page ({caching})", "web GET /skm", survey_page,
            "feedback", "feedback GET /v1/public/regions/<id>", region_profile,
        ),
        "scorecard": Measured(
            f"employee's scorecard, {people.quarter}, {len(people.employees)} employees in turn",
            "web GET /saya/capaian", scorecard_page,
            "scoring", "scoring GET /v1/employees/<id>/scorecard", scorecard,
        ),
        "feed": Measured(
            f"rater's feed page (first render), {len(people.raters)} raters in turn",
            "web GET /penilai/umpan", feed_page,
            "reporting", "reporting GET /v1/activities?limit=30", activities,
        ),
    }  # fmt: skip


def report(name: str, phase: Phase, *, target: str = "", baseline: Phase | None = None) -> str:
    """The p95 line (with the baseline's p95 and the ratio), then p50, the tail, count and errors."""
    p95 = phase.percentile(0.95) * 1000
    line = figure(
        f"{name} p95",
        p95,
        "ms",
        target=target,
        baseline=baseline.percentile(0.95) * 1000 if baseline else None,
    )
    errors = f", errors {phase.errors} ({phase.first_error[:120]!r})" if phase.errors else ""
    p50 = phase.percentile(0.5) * 1000
    return f"{line}\n      p50 {p50:,.1f} ms, {phase.tail()}, n={len(phase.latencies)}{errors}"


async def run(args: argparse.Namespace, platform: BenchPlatform) -> None:
    if args.no_cache:
        os.environ["KINERJA_REGION_CACHE_SECONDS"] = "0"
    chosen = [name.strip() for name in args.pages.split(",") if name.strip()]
    if unknown := set(chosen) - set(PAGES):
        raise SystemExit(f"unknown pages {sorted(unknown)}; choose from {', '.join(PAGES)}")
    stage("starting the four services and the web process")
    services, demo = start_platform(platform, profile_web=args.profile)
    stage("signing in the demo region's employees and raters")
    people = await sign_in_people(platform, services, demo)
    web = services.url("web")
    results: list[tuple[Measured, Phase, Phase, str]] = []
    for name in chosen:
        measured = measured_pages(people, args.no_cache)[name]
        api = services.url(measured.api_service)
        stage(f"{name}: warming up, then {args.rate:g} requests/s for {args.duration:g} s each")
        await open_loop(web, measured.page, rate=args.rate, duration=2, connections=16)
        await open_loop(api, measured.api, rate=args.rate, duration=2, connections=16)
        pids = {process: services.processes[process].pid for process in ("web", measured.api_service)}
        with CpuMeter(pids) as page_cpu:
            rendered = await open_loop(
                web, measured.page, rate=args.rate, duration=args.duration, connections=16
            )
        with CpuMeter(pids) as api_cpu:
            wrapped = await open_loop(
                api, measured.api, rate=args.rate, duration=args.duration, connections=16
            )
        results.append(
            (measured, rendered, wrapped, cpu_line(page_cpu, api_cpu, measured, rendered, wrapped))
        )
    print(machine_line())
    for measured, rendered, wrapped, cpu in results:
        size = sum(rendered.sizes) // max(1, len(rendered.sizes))
        print(f"{measured.title}, {size:,} bytes of HTML:")
        print("  " + report(measured.api_route, wrapped))
        target = f"<= {TARGET_P95_MS:g} ms"
        print(
            "  "
            + report(
                f"{measured.page_route} (baseline: the call it wraps)",
                rendered,
                target=target,
                baseline=wrapped,
            )
        )
        print("  " + cpu)
    if args.profile:
        web_process = services.processes.pop("web")
        # SIGINT: uvicorn raises the signal again once stopped, and SIGTERM's default action would
        # then end the process before cProfile writes its statistics (KeyboardInterrupt lets it).
        web_process.send_signal(signal.SIGINT)
        web_process.wait(timeout=180)
        print("\nweb process, by own time:")
        pstats.Stats(str(services.profile_path("web"))).sort_stats("tottime").print_stats(25)


def cpu_line(page: CpuMeter, api: CpuMeter, measured: Measured, rendered: Phase, wrapped: Phase) -> str:
    """CPU per request of the web process (page phase) and of the called service (both phases):
    steadier than latency on a shared machine, and it shows which process sets the figure."""

    def per_request(meter: CpuMeter, process: str, phase: Phase) -> float:
        requests = len(phase.latencies) + sum(phase.errors.values())
        return meter.cores[process] * phase.seconds / max(1, requests) * 1000

    service = measured.api_service
    return (
        f"CPU per page: web {per_request(page, 'web', rendered):.1f} ms, {service} "
        f"{per_request(page, service, rendered):.1f} ms; per direct call: {service} "
        f"{per_request(api, service, wrapped):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second (default 50)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per route")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"which pages (default {','.join(PAGES)})")
    parser.add_argument("--no-cache", action="store_true", help="the web process asks feedback every time")
    parser.add_argument(
        "--profile", action="store_true", help="run the web process under cProfile and print it"
    )
    run_on_platform(run, parser.parse_args())


if __name__ == "__main__":
    main()
