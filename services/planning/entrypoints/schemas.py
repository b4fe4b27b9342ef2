"""Bodies only the HTTP API reads: a rejection's and a withdrawal's reason (the use cases' own models
are in service_layer/schemas.py)."""

from __future__ import annotations

from pydantic import Field

from services.planning.service_layer.schemas import Input


class RejectionCreate(Input):
    """Why the rater rejects a submitted plan."""

    reason: str = Field(min_length=5, max_length=2000)


class WithdrawalCreate(Input):
    """Why HR withdraws an approved plan (e.g. the employee left the region)."""

    reason: str = Field(min_length=5, max_length=2000)
