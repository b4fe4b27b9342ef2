"""The web app's survey page: server-side render latency at 50 requests/s, beside the API call it wraps.

Target (issue #14): p95 at most 50 ms at 50 requests/s for the survey page. The web process and
feedback (with planning, to create the region) run as their own processes on real infrastructure;
a region with an office and a rated service is created through the APIs. Then, open loop at a fixed
rate (latency from each request's scheduled start):
- the web app's ``GET /skm?region=&unit=&service=`` (the questionnaire, rendered in full);
- beside it, the call it wraps: feedback's ``GET /v1/public/regions/<id>`` (the region's units and
  services). The web process keeps that answer for ``KINERJA_REGION_CACHE_SECONDS`` (300 s), so the
  page normally renders without calling feedback; ``--no-cache`` measures it calling every time.

Each request comes from another forwarded address (feedback believes the web process's, on
127.0.0.1), so the citizens' rate limits do not turn the load into 429s.

    .venv/bin/python -m bench.web_render              # 50 requests/s for 20 s
    .venv/bin/python -m bench.web_render --no-cache --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import uuid

import httpx

from bench._platform import BenchPlatform, figure, machine_line, run_on_platform, stage
from bench.scoring_reads import Phase, open_loop
from shared.auth import Role, mint_dev_token

TARGET_P95_MS = 50.0


async def seed(platform: BenchPlatform, planning: str, feedback: str) -> tuple[str, str]:
    """A region with an office and its rated service, created through planning's and feedback's APIs."""
    region = f"bench-{uuid.uuid4().hex[:8]}"

    def token(role: Role, region_id: str | None) -> dict[str, str]:
        minted = mint_dev_token(platform.settings, subject=f"bench-{role}", roles=[role], region_id=region_id)
        return {"Authorization": f"Bearer {minted}"}

    async with httpx.AsyncClient(timeout=15) as http:
        created = await http.post(
            f"{planning}/v1/regions",
            json={"region_id": region, "name": "Distrik Bench", "timezone": "Asia/Jayapura"},
            headers=token(Role.PLATFORM_ADMIN, None),
        )
        created.raise_for_status()
        unit = await http.post(
            f"{planning}/v1/units",
            json={"code": "dukcapil", "name": "Dinas Kependudukan"},
            headers=token(Role.REGION_ADMIN, region),
        )
        unit.raise_for_status()
        unit_id = unit.json()["unit_id"]
        for _ in range(240):  # until feedback has the unit from planning's events
            declared = await http.post(
                f"{feedback}/v1/units/{unit_id}/services",
                json={"service_id": "ktp-el", "name": "Perekaman KTP-el"},
                headers=token(Role.REGION_ADMIN, region),
            )
            if declared.status_code in (201, 409):
                return region, unit_id
            await asyncio.sleep(0.25)
    raise RuntimeError("feedback never learned the unit from planning's events")


def addresses() -> itertools.cycle[str]:
    return itertools.cycle(f"10.{a}.{b}.{c}" for a in range(1, 4) for b in range(0, 250) for c in (1, 2))


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
    stage("starting planning, feedback and the web process")
    services = platform.start_services({"planning": "api,relay", "feedback": "api,consumer", "web": "api"})
    planning, feedback, web = services.url("planning"), services.url("feedback"), services.url("web")
    region, unit_id = await seed(platform, planning, feedback)
    page = f"/skm?region={region}&unit={unit_id}&service=ktp-el"
    api = f"/v1/public/regions/{region}"
    forwarded = addresses()

    def page_request() -> tuple[str, dict[str, str]]:
        return page, {"X-Forwarded-For": next(forwarded)}

    def api_request() -> tuple[str, dict[str, str]]:
        return api, {"X-Forwarded-For": next(forwarded)}

    stage("warming up")
    await open_loop(web, page_request, rate=args.rate, duration=2, connections=16)
    await open_loop(feedback, api_request, rate=args.rate, duration=2, connections=16)
    stage(f"measuring at {args.rate:g} requests/s for {args.duration:g} s each")
    rendered = await open_loop(web, page_request, rate=args.rate, duration=args.duration, connections=16)
    wrapped = await open_loop(feedback, api_request, rate=args.rate, duration=args.duration, connections=16)
    print(machine_line())
    caching = "region profile not cached" if args.no_cache else "region profile cached in the web process"
    print(f"survey page ({caching}), {sum(rendered.sizes) // max(1, len(rendered.sizes)):,} bytes of HTML:")
    print("  " + report("feedback GET /v1/public/regions/<id>", wrapped))
    print(
        "  "
        + report(
            "web GET /skm (baseline: the call it wraps)",
            rendered,
            target=f"<= {TARGET_P95_MS:g} ms",
            baseline=wrapped,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second (default 50)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per route")
    parser.add_argument("--no-cache", action="store_true", help="the web process asks feedback every time")
    run_on_platform(run, parser.parse_args())


if __name__ == "__main__":
    main()
