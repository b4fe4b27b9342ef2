"""The baseline of the ingest benchmark: a bare FastAPI app that only parses the same JSON.

No token, no database, no outbox: the same request models as the reporting API, served the same
way (one uvicorn worker, uvloop, httptools, no access log). ``python -m bench.bare_api PORT``.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, status

from services.reporting.entrypoints.schemas import BatchCreate
from services.reporting.service_layer.schemas import ActivityCreate
from shared.http import NATIVE_TELEMETRY_OFF

app = FastAPI(title="bare parsing baseline", telemetry=NATIVE_TELEMETRY_OFF)


@app.post("/v1/activities", status_code=status.HTTP_201_CREATED)
async def parse_activity(activity_in: ActivityCreate) -> dict[str, str]:
    """Parse one activity and answer with its id."""
    return {"activity_id": activity_in.activity_id}


@app.post("/v1/activities/batch")
async def parse_batch(batch: BatchCreate) -> dict[str, object]:
    """Parse a batch item by item, as the real endpoint does, and count the items."""
    accepted = len([ActivityCreate.model_validate(item) for item in batch.items])
    return {"accepted": accepted, "duplicates": 0, "rejected": 0, "items": []}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive."""
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
