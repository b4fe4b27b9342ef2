"""Planned results (RHK) of a work plan and the reference by which a subordinate's result supports one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.planning.domain.organisation import Nip
from services.planning.domain.work_plan.indicator import Indicator


class ResultKind(StrEnum):
    """Kind of planned result (jenis RHK)."""

    MAIN = "main"
    """RHK utama."""
    ADDITIONAL = "additional"
    """RHK tambahan."""


@dataclass(frozen=True, slots=True)
class ResultRef:
    """Points at a planned result by owner, year and result id; result ids survive plan revisions."""

    owner: Nip
    year: int
    result_id: str


@dataclass(frozen=True, slots=True)
class PlannedResult:
    """Rencana Hasil Kerja (RHK): one result the employee commits to for the year."""

    id: str
    kind: ResultKind
    text: str
    indicators: tuple[Indicator, ...] = ()
    supports: ResultRef | None = None
    """The rater's result this one supports (intervensi / cascading), if any."""
