"""What only the HTTP API reads: a reopening's reason (the use cases' own models are in
service_layer/schemas.py)."""

from __future__ import annotations

from pydantic import Field

from services.feedback.service_layer.schemas import Strict


class ComplaintReopenCreate(Strict):
    """A citizen reopens a closed complaint, saying why."""

    reason: str = Field(min_length=5, max_length=1000)
