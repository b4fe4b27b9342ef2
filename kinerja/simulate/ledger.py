"""What the services answered 2xx to, by id: the record a fault campaign checks the databases against.

A request the client never saw answered (the connection dropped, a 5xx) is not here, whatever the
server did with it; a retried request answered once is here once, by its id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class AnsweredActivity:
    """An activity reporting answered 201 or 200 (a retry of one it had): stored, with its quantity."""

    region_id: str
    employee_id: str
    quantity: str


@dataclass(frozen=True, slots=True)
class AnsweredSurvey:
    """A survey response feedback accepted, for a unit and period."""

    region_id: str
    unit_id: str
    period: str


@dataclass
class Ledger:
    """Every write answered 2xx, keyed by the id the client or the service gave it."""

    employees: dict[str, str] = field(default_factory=dict)  # employee id -> region
    activities: dict[str, AnsweredActivity] = field(default_factory=dict)  # activity id ->
    verifications: dict[str, str] = field(default_factory=dict)  # activity id -> region
    surveys: dict[str, AnsweredSurvey] = field(default_factory=dict)  # response id ->
    complaints: dict[str, str] = field(default_factory=dict)  # tracking code -> region
    #: Requests answered 2xx by kind (a batch counts once; retries each time they were answered).
    answered: Counter[str] = field(default_factory=Counter)

    def activity(self, activity_id: str, region_id: str, employee_id: str, quantity: Any) -> None:
        self.activities[activity_id] = AnsweredActivity(region_id, employee_id, str(Decimal(quantity)))

    @property
    def writes(self) -> int:
        """Distinct writes answered 2xx (each activity, verification, response, complaint, employee)."""
        return (
            len(self.employees)
            + len(self.activities)
            + len(self.verifications)
            + len(self.surveys)
            + len(self.complaints)
        )

    def regions(self) -> set[str]:
        """Every region something was answered for."""
        return (
            set(self.employees.values())
            | {entry.region_id for entry in self.activities.values()}
            | set(self.complaints.values())
            | {entry.region_id for entry in self.surveys.values()}
        )

    def write(self, path: Path) -> None:
        """Save as JSON (``kinerja simulate --ledger``)."""
        record = asdict(self) | {"answered": dict(self.answered)}
        path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))

    @classmethod
    def read(cls, path: Path) -> Ledger:
        raw = orjson.loads(path.read_bytes())
        return cls(
            employees=raw["employees"],
            activities={key: AnsweredActivity(**value) for key, value in raw["activities"].items()},
            verifications=raw["verifications"],
            surveys={key: AnsweredSurvey(**value) for key, value in raw["surveys"].items()},
            complaints=raw["complaints"],
            answered=Counter(raw["answered"]),
        )
