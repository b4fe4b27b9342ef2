"""The reads benchmark's baseline (bench/scoring_reads.py): a bare FastAPI app with scoring's three
read routes and response models, answering with bodies the service itself gave, in a process of its own.

Run by ``bench._platform.start_baseline`` as ``python -m bench.scoring_reads_bare PORT SAMPLES``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._http import RawClient

#: A read to send: its path and its headers.
Request = tuple[str, dict[str, str]]


def bare_app(samples_path: Path) -> Any:
    """The same three routes and response models, answering with bodies the service gave."""
    from fastapi import FastAPI, Response

    from services.scoring.service_layer.schemas import RegionDashboardRead, ScorecardRead, UnitDashboardRead
    from shared.http import NATIVE_TELEMETRY_OFF

    samples = json.loads(samples_path.read_text())
    cards = [ScorecardRead.model_validate_json(body) for body in samples["scorecard"]]
    boards = [UnitDashboardRead.model_validate_json(body) for body in samples["unit dashboard"]]
    regions = [RegionDashboardRead.model_validate_json(body) for body in samples["region dashboard"]]
    app = FastAPI(title="bare scoring reads baseline", telemetry=NATIVE_TELEMETRY_OFF)

    # Serialized once by pydantic, as the service's read routes do.
    @app.get("/v1/employees/{employee_id}/scorecard", response_model=ScorecardRead)
    async def scorecard(employee_id: str, period: str) -> Response:
        card = cards[hash((employee_id, period)) % len(cards)]
        return Response(card.model_dump_json(), media_type="application/json")

    @app.get("/v1/units/{unit_id}/dashboard", response_model=UnitDashboardRead)
    async def dashboard(unit_id: str, period: str) -> Response:
        board = boards[hash((unit_id, period)) % len(boards)]
        return Response(board.model_dump_json(), media_type="application/json")

    @app.get("/v1/region/dashboard", response_model=RegionDashboardRead)
    async def region_dashboard(period: str) -> Response:
        board = regions[hash(period) % len(regions)]
        return Response(board.model_dump_json(), media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_bare(port: int, samples_path: Path) -> None:
    import uvicorn

    uvicorn.run(
        bare_app(samples_path),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


async def collect_samples(url: str, makers: dict[str, Callable[[], Request]], count: int) -> dict[str, Any]:
    """Bodies the service answered, for the baseline to serve."""
    samples: dict[str, list[str]] = {}
    async with RawClient(url, connections=4) as http:
        for route, make in makers.items():
            bodies = []
            for _ in range(count):
                response = await http.get(*make())
                status, body = response.status_code, response.content
                if status != 200:
                    raise RuntimeError(f"{route} answered {status}: {body[:300]!r}")
                bodies.append(body.decode())
            samples[route] = bodies
    return samples


if __name__ == "__main__":
    serve_bare(int(sys.argv[1]), Path(sys.argv[2]))
